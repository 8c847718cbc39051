namespace EdgeCL.Eval.Rollout;

/// <summary>Test accuracy (fraction, new space unless named old) after a rollout at one exemplar budget, mean over seeds; NaN where a
/// method could not run (no map: too few pairs).</summary>
/// <param name="Budget">Exemplars per class asked for ("all" for every item).</param>
/// <param name="MegaBytes">The byte budget, MiB.</param>
/// <param name="ExemplarsPerClass">Exemplars kept per class, mean over classes and seeds.</param>
/// <param name="OldSpace">The old prototypes on the old backbone's test embeddings: where the device starts.</param>
/// <param name="Scratch">Re-teaching every support item in the new space: the ceiling.</param>
/// <param name="ExemplarsOnly">Prototypes from the re-embedded exemplars alone (re-teaching from what was kept; a class that kept none is lost).</param>
/// <param name="Procrustes">Blend with a Procrustes map fitted on the exemplars.</param>
/// <param name="ProcrustesCalibrated">Blend with a Procrustes map fitted on the exemplars and the calibration inputs.</param>
/// <param name="Ridge">Blend with a ridge map fitted on the exemplars.</param>
/// <param name="RidgeCalibrated">Blend with a ridge map fitted on the exemplars and the calibration inputs.</param>
public sealed record RolloutRow(string Budget, double MegaBytes, double ExemplarsPerClass, double OldSpace, double Scratch, double ExemplarsOnly,
    double Procrustes, double ProcrustesCalibrated, double Ridge, double RidgeCalibrated);
