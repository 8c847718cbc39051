namespace EdgeCL.Sync.Commands;

/// <summary>What a command on <c>edgecl/v1/{fleet}/cmd/{device}</c> asks the device to do.</summary>
public enum FleetCommandKind
{
    /// <summary>Forget one class (wire name <c>forget_class</c>; needs <see cref="FleetCommand.Label"/>).</summary>
    ForgetClass,

    /// <summary>Drop test-time adaptation state and return to the labelled prototypes (wire name <c>reset_adaptation</c>).</summary>
    ResetAdaptation,

    /// <summary>Switch to another backbone (wire name <c>new_backbone</c>; needs <see cref="FleetCommand.Backbone"/>).</summary>
    NewBackbone,

    /// <summary>Republish every own entry now (wire name <c>rebirth</c>; Sparkplug's Node Control/Rebirth).</summary>
    Rebirth,

    /// <summary>Start teaching a class: the next samples become its examples (wire name <c>teach</c>; needs <see cref="FleetCommand.Label"/>).</summary>
    Teach,

    /// <summary>End a teaching session early (wire name <c>stop_teach</c>).</summary>
    StopTeach,

    /// <summary>The device's last accepted recognition was wrong: teach its sample as the background class.</summary>
    FalseAlarm,
}
