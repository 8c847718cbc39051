// powerloss.so: an LD_PRELOAD shim that records every change a process makes under one folder (the "disk"), so that a
// test can rebuild what a disk could hold after a power cut at any instant; it can also cut the power itself, or fail
// one write-side call with an errno.
//
// Environment:
//   POWERLOSS_DIR       absolute folder whose files are watched (the state folder); nothing outside it is touched
//   POWERLOSS_JOURNAL   file the records are appended to (outside POWERLOSS_DIR)
//   POWERLOSS_CUT_AT    N: the Nth watched call is not made; the journal gets an 'X' record and the process SIGKILLs itself
//   POWERLOSS_FAIL_AT   N: the Nth watched write/fsync/ftruncate call (counted apart) fails without effect ...
//   POWERLOSS_FAIL_ERRNO  ... with this errno (default 5, EIO; 28 is ENOSPC)
//   POWERLOSS_FAIL_COUNT  ... and so do the next COUNT-1 of them (default 1)
//
// Watched calls, for paths under POWERLOSS_DIR only: open/openat/creat that create or truncate a file, write, pwrite,
// writev, pwritev, ftruncate, fsync, fdatasync (on a file or on a folder), rename, renameat, link, unlink, unlinkat.
// fsync and fdatasync are recorded but not made: durability is what the journal says, so the run is fast.
// Not seen: writes through mmap (SQLite's -shm wal-index, rebuilt by SQLite on the first open after a crash), mkdir and
// rmdir, dup'ed descriptors, and libc-internal calls (fwrite's own write). A dlsym on libc's handle (.NET's
// [LibraryImport("libc")]) gets the hooks too; a dlsym(RTLD_NEXT) from another library resolves as if made here.
//
// Journal record: type u8, ino u64, a u64, b u64, path1 length u32, path2 length u32, path1, path2, then b data bytes
// for 'W'. Paths are relative to POWERLOSS_DIR ("" is the folder itself). Types:
//   B base file (ino, a=size) at start   C create (ino)   W write (ino, a=offset, b=length, data)   T truncate (ino, a=length)
//   S fsync of a file (ino)   D fsync of a folder (path1)   R rename path1 -> path2 (ino moved; a=ino replaced or 0)
//   L link path2 to ino   U unlink path1 (ino)   E failed on purpose (a=errno, path1=call name)   X power cut here
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_FDS 65536

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static char g_dir[PATH_MAX];
static size_t g_dir_len;
static int g_journal = -1;
static long g_cut_at, g_fail_at, g_fail_count = 1, g_calls, g_failable_calls;
static int g_fail_errno = EIO;
static char *g_fds[MAX_FDS];   // relative path of each watched descriptor, or NULL
static char g_fd_is_dir[MAX_FDS];

static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_close)(int);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_pwritev)(int, const struct iovec *, int, off_t);
static int (*real_ftruncate)(int, off_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_rename)(const char *, const char *);
static int (*real_renameat)(int, const char *, int, const char *);
static int (*real_link)(const char *, const char *);
static int (*real_unlink)(const char *);
static int (*real_unlinkat)(int, const char *, int);

static void journal_write_all(const void *data, size_t length)
{
    const char *p = data;
    while (length > 0)
    {
        ssize_t n = real_write(g_journal, p, length);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            abort(); // a journal that misses a record would make every later reconstruction wrong
        p += n;
        length -= (size_t)n;
    }
}

static void record(char type, uint64_t ino, uint64_t a, uint64_t b, const char *p1, const char *p2, const struct iovec *data, int count)
{
    if (g_journal < 0)
        return;
    uint32_t l1 = p1 ? (uint32_t)strlen(p1) : 0, l2 = p2 ? (uint32_t)strlen(p2) : 0;
    unsigned char header[1 + 8 * 3 + 4 * 2];
    header[0] = (unsigned char)type;
    memcpy(header + 1, &ino, 8);
    memcpy(header + 9, &a, 8);
    memcpy(header + 17, &b, 8);
    memcpy(header + 25, &l1, 4);
    memcpy(header + 29, &l2, 4);
    journal_write_all(header, sizeof header);
    if (l1)
        journal_write_all(p1, l1);
    if (l2)
        journal_write_all(p2, l2);
    // Only the bytes the real call wrote (b), which may be fewer than the buffers hold.
    uint64_t left = b;
    for (int i = 0; i < count && left > 0; i++)
    {
        size_t n = data[i].iov_len < left ? data[i].iov_len : (size_t)left;
        journal_write_all(data[i].iov_base, n);
        left -= n;
    }
}

static void setup(void)
{
    real_open = dlsym(RTLD_NEXT, "open64");
    real_openat = dlsym(RTLD_NEXT, "openat64");
    real_close = dlsym(RTLD_NEXT, "close");
    real_write = dlsym(RTLD_NEXT, "write");
    real_pwrite = dlsym(RTLD_NEXT, "pwrite64");
    real_writev = dlsym(RTLD_NEXT, "writev");
    real_pwritev = dlsym(RTLD_NEXT, "pwritev64");
    real_ftruncate = dlsym(RTLD_NEXT, "ftruncate64");
    real_fsync = dlsym(RTLD_NEXT, "fsync");
    real_fdatasync = dlsym(RTLD_NEXT, "fdatasync");
    real_rename = dlsym(RTLD_NEXT, "rename");
    real_renameat = dlsym(RTLD_NEXT, "renameat");
    real_link = dlsym(RTLD_NEXT, "link");
    real_unlink = dlsym(RTLD_NEXT, "unlink");
    real_unlinkat = dlsym(RTLD_NEXT, "unlinkat");
    const char *dir = getenv("POWERLOSS_DIR"), *journal = getenv("POWERLOSS_JOURNAL");
    if (!dir || !journal || dir[0] != '/' || strlen(dir) >= sizeof g_dir)
        return; // not configured: every call passes through untouched
    strcpy(g_dir, dir);
    g_dir_len = strlen(g_dir);
    while (g_dir_len > 1 && g_dir[g_dir_len - 1] == '/')
        g_dir[--g_dir_len] = 0;
    const char *v;
    if ((v = getenv("POWERLOSS_CUT_AT")))
        g_cut_at = atol(v);
    if ((v = getenv("POWERLOSS_FAIL_AT")))
        g_fail_at = atol(v);
    if ((v = getenv("POWERLOSS_FAIL_ERRNO")))
        g_fail_errno = atoi(v);
    if ((v = getenv("POWERLOSS_FAIL_COUNT")))
        g_fail_count = atol(v);
    g_journal = real_open(journal, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (g_journal < 0)
    {
        fprintf(stderr, "powerloss: cannot open journal '%s': %s\n", journal, strerror(errno));
        abort();
    }
    // The files as they are now: what the disk holds at the start of the run.
    DIR *d = opendir(g_dir);
    if (d)
    {
        struct dirent *e;
        while ((e = readdir(d)))
        {
            char full[PATH_MAX];
            struct stat st;
            snprintf(full, sizeof full, "%s/%s", g_dir, e->d_name);
            if (lstat(full, &st) == 0 && S_ISREG(st.st_mode))
                record('B', st.st_ino, (uint64_t)st.st_size, 0, e->d_name, NULL, NULL, 0);
        }
        closedir(d);
    }
}

static void init(void) { pthread_once(&g_once, setup); }

// The path relative to the watched folder ("" for the folder itself), or NULL when outside it. Caller frees.
static char *relative(int dirfd, const char *path)
{
    if (g_journal < 0 || !path)
        return NULL;
    char full[PATH_MAX * 2];
    if (path[0] == '/')
        snprintf(full, sizeof full, "%s", path);
    else if (dirfd == AT_FDCWD)
    {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd))
            return NULL;
        snprintf(full, sizeof full, "%s/%s", cwd, path);
    }
    else if (dirfd >= 0 && dirfd < MAX_FDS && g_fds[dirfd] && g_fd_is_dir[dirfd])
        snprintf(full, sizeof full, "%s/%s/%s", g_dir, g_fds[dirfd], path);
    else
        return NULL;
    // Drop "./" parts and doubled slashes (the callers here pass plain absolute paths).
    char clean[sizeof full];
    size_t n = 0;
    for (const char *p = full; *p;)
    {
        if (p[0] == '/' && (p[1] == '/' || (p[1] == '.' && (p[2] == '/' || p[2] == 0))))
        {
            p += p[1] == '/' ? 1 : 2;
            continue;
        }
        clean[n++] = *p++;
    }
    while (n > 1 && clean[n - 1] == '/')
        n--;
    clean[n] = 0;
    if (strncmp(clean, g_dir, g_dir_len) != 0 || (clean[g_dir_len] != 0 && clean[g_dir_len] != '/'))
        return NULL;
    const char *rest = clean + g_dir_len;
    return strdup(*rest == '/' ? rest + 1 : rest);
}

static const char *watched(int fd) { return fd >= 0 && fd < MAX_FDS ? g_fds[fd] : NULL; }

static uint64_t inode_of_fd(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

static uint64_t inode_of_path(const char *rel)
{
    char full[PATH_MAX * 2];
    struct stat st;
    snprintf(full, sizeof full, "%s/%s", g_dir, rel);
    return lstat(full, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

// Counts one watched call; at the chosen one the power goes: the call is not made and the process dies here.
static void tick(void)
{
    if (++g_calls == g_cut_at)
    {
        record('X', 0, (uint64_t)g_calls, 0, NULL, NULL, NULL, 0);
        kill(getpid(), SIGKILL);
        for (;;)
            pause(); // the lock stays held: no other thread gets another call through
    }
}

// Counts one failable call; true (errno set, a record written) when it must fail.
static int fails(const char *call)
{
    ++g_failable_calls;
    if (g_fail_at > 0 && g_failable_calls >= g_fail_at && g_failable_calls < g_fail_at + g_fail_count)
    {
        record('E', 0, (uint64_t)g_fail_errno, 0, call, NULL, NULL, 0);
        errno = g_fail_errno;
        return 1;
    }
    return 0;
}

static int do_open(int dirfd, const char *path, int flags, mode_t mode)
{
    init();
    char *rel = relative(dirfd, path);
    if (!rel)
        return dirfd == AT_FDCWD ? real_open(path, flags, mode) : real_openat(dirfd, path, flags, mode);
    pthread_mutex_lock(&g_lock);
    struct stat before;
    char full[PATH_MAX * 2];
    snprintf(full, sizeof full, "%s%s%s", g_dir, rel[0] ? "/" : "", rel);
    int existed = lstat(full, &before) == 0;
    int creates = (flags & O_CREAT) && !existed;
    int truncates = (flags & O_TRUNC) && existed && S_ISREG(before.st_mode) && before.st_size > 0 && (flags & O_ACCMODE) != O_RDONLY;
    if (creates || truncates)
        tick();
    int fd = real_open(full, flags, mode);
    if (fd >= 0)
    {
        struct stat st;
        fstat(fd, &st);
        if (creates)
            record('C', (uint64_t)st.st_ino, 0, 0, rel, NULL, NULL, 0);
        else if (truncates)
            record('T', (uint64_t)st.st_ino, 0, 0, rel, NULL, NULL, 0);
        if (fd < MAX_FDS)
        {
            free(g_fds[fd]);
            g_fds[fd] = rel;
            g_fd_is_dir[fd] = S_ISDIR(st.st_mode);
            rel = NULL;
        }
    }
    pthread_mutex_unlock(&g_lock);
    free(rel);
    return fd;
}

#define OPEN_MODE(flags) \
    mode_t mode = 0;     \
    if ((flags) & (O_CREAT | O_TMPFILE)) { va_list ap; va_start(ap, flags); mode = va_arg(ap, mode_t); va_end(ap); }

int open(const char *path, int flags, ...) { OPEN_MODE(flags); return do_open(AT_FDCWD, path, flags, mode); }
int open64(const char *path, int flags, ...) { OPEN_MODE(flags); return do_open(AT_FDCWD, path, flags, mode); }
int openat(int dirfd, const char *path, int flags, ...) { OPEN_MODE(flags); return do_open(dirfd, path, flags, mode); }
int openat64(int dirfd, const char *path, int flags, ...) { OPEN_MODE(flags); return do_open(dirfd, path, flags, mode); }
int creat(const char *path, mode_t mode) { return do_open(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode); }
int creat64(const char *path, mode_t mode) { return do_open(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode); }

int close(int fd)
{
    init();
    if (fd >= 0 && fd < MAX_FDS && g_fds[fd])
    {
        pthread_mutex_lock(&g_lock);
        free(g_fds[fd]);
        g_fds[fd] = NULL;
        pthread_mutex_unlock(&g_lock);
    }
    return real_close(fd);
}

// Every write-side call on a descriptor: offset -1 means "at the file position" (write, writev).
static ssize_t pass_write(int fd, const struct iovec *iov, int count, off_t offset, int vector)
{
    if (vector)
        return offset < 0 ? real_writev(fd, iov, count) : real_pwritev(fd, iov, count, offset);
    return offset < 0 ? real_write(fd, iov->iov_base, iov->iov_len) : real_pwrite(fd, iov->iov_base, iov->iov_len, offset);
}

static ssize_t do_write(int fd, const struct iovec *iov, int count, off_t offset, const char *call)
{
    init();
    int vector = strstr(call, "writev") != NULL;
    const char *rel = watched(fd);
    if (!rel)
        return pass_write(fd, iov, count, offset, vector);
    pthread_mutex_lock(&g_lock);
    tick();
    ssize_t n;
    if (fails(call))
        n = -1;
    else
    {
        off_t at = offset;
        if (at < 0)
        {
            struct stat st;
            at = (fcntl(fd, F_GETFL) & O_APPEND) && fstat(fd, &st) == 0 ? st.st_size : lseek(fd, 0, SEEK_CUR);
        }
        n = pass_write(fd, iov, count, offset, vector);
        int saved = errno;
        if (n > 0)
            record('W', inode_of_fd(fd), (uint64_t)at, (uint64_t)n, g_fds[fd], NULL, iov, count);
        errno = saved;
    }
    pthread_mutex_unlock(&g_lock);
    return n;
}

ssize_t write(int fd, const void *buf, size_t n) { struct iovec v = {(void *)buf, n}; return do_write(fd, &v, 1, -1, "write"); }
ssize_t pwrite(int fd, const void *buf, size_t n, off_t at) { struct iovec v = {(void *)buf, n}; return do_write(fd, &v, 1, at, "pwrite"); }
ssize_t pwrite64(int fd, const void *buf, size_t n, off_t at) { struct iovec v = {(void *)buf, n}; return do_write(fd, &v, 1, at, "pwrite64"); }
ssize_t writev(int fd, const struct iovec *iov, int count) { return do_write(fd, iov, count, -1, "writev"); }
ssize_t pwritev(int fd, const struct iovec *iov, int count, off_t at) { return do_write(fd, iov, count, at, "pwritev"); }
ssize_t pwritev64(int fd, const struct iovec *iov, int count, off_t at) { return do_write(fd, iov, count, at, "pwritev64"); }

static int do_truncate(int fd, off_t length)
{
    init();
    const char *rel = watched(fd);
    if (!rel)
        return real_ftruncate(fd, length);
    pthread_mutex_lock(&g_lock);
    tick();
    int rc = -1;
    if (!fails("ftruncate"))
    {
        rc = real_ftruncate(fd, length);
        int saved = errno;
        if (rc == 0)
            record('T', inode_of_fd(fd), (uint64_t)length, 0, rel, NULL, NULL, 0);
        errno = saved;
    }
    pthread_mutex_unlock(&g_lock);
    return rc;
}

int ftruncate(int fd, off_t length) { return do_truncate(fd, length); }
int ftruncate64(int fd, off_t length) { return do_truncate(fd, length); }

static int do_sync(int fd, const char *call)
{
    init();
    const char *rel = watched(fd);
    if (!rel)
        return call[1] == 's' ? real_fsync(fd) : real_fdatasync(fd);
    pthread_mutex_lock(&g_lock);
    tick();
    int rc = 0;
    if (fails(call))
        rc = -1;
    else if (g_fd_is_dir[fd])
        record('D', 0, 0, 0, rel, NULL, NULL, 0);
    else
        record('S', inode_of_fd(fd), 0, 0, rel, NULL, NULL, 0);
    pthread_mutex_unlock(&g_lock);
    return rc;
}

int fsync(int fd) { return do_sync(fd, "fsync"); }
int fdatasync(int fd) { return do_sync(fd, "fdatasync"); }

// rename, link and unlink: recorded after they succeed, with the inodes involved.
static int do_rename(int fromfd, const char *from, int tofd, const char *to)
{
    init();
    char *a = relative(fromfd, from), *b = relative(tofd, to);
    if (!a && !b)
    {
        free(a);
        free(b);
        return fromfd == AT_FDCWD && tofd == AT_FDCWD ? real_rename(from, to) : real_renameat(fromfd, from, tofd, to);
    }
    pthread_mutex_lock(&g_lock);
    tick();
    uint64_t moved = a ? inode_of_path(a) : 0, replaced = b ? inode_of_path(b) : 0;
    int rc = fromfd == AT_FDCWD && tofd == AT_FDCWD ? real_rename(from, to) : real_renameat(fromfd, from, tofd, to);
    int saved = errno;
    if (rc == 0)
        record('R', moved, replaced, 0, a ? a : "", b ? b : "", NULL, 0); // a path outside the folder is ""
    errno = saved;
    pthread_mutex_unlock(&g_lock);
    free(a);
    free(b);
    return rc;
}

int rename(const char *from, const char *to) { return do_rename(AT_FDCWD, from, AT_FDCWD, to); }
int renameat(int fromfd, const char *from, int tofd, const char *to) { return do_rename(fromfd, from, tofd, to); }

int link(const char *from, const char *to)
{
    init();
    char *b = relative(AT_FDCWD, to);
    if (!b)
        return real_link(from, to);
    pthread_mutex_lock(&g_lock);
    tick();
    int rc = real_link(from, to);
    int saved = errno;
    if (rc == 0)
        record('L', inode_of_path(b), 0, 0, "", b, NULL, 0);
    errno = saved;
    pthread_mutex_unlock(&g_lock);
    free(b);
    return rc;
}

static int do_unlink(int dirfd, const char *path, int flags)
{
    init();
    char *rel = relative(dirfd, path);
    if (!rel || (flags & AT_REMOVEDIR))
    {
        free(rel);
        return dirfd == AT_FDCWD && !flags ? real_unlink(path) : real_unlinkat(dirfd, path, flags);
    }
    pthread_mutex_lock(&g_lock);
    tick();
    uint64_t ino = inode_of_path(rel);
    int rc = dirfd == AT_FDCWD && !flags ? real_unlink(path) : real_unlinkat(dirfd, path, flags);
    int saved = errno;
    if (rc == 0)
        record('U', ino, 0, 0, rel, NULL, NULL, 0);
    errno = saved;
    pthread_mutex_unlock(&g_lock);
    free(rel);
    return rc;
}

int unlink(const char *path) { return do_unlink(AT_FDCWD, path, 0); }
int unlinkat(int dirfd, const char *path, int flags) { return do_unlink(dirfd, path, flags); }

// .NET's [LibraryImport("libc")] (AtomicFile.SyncDirectory's open and fsync) looks its functions up with dlsym on libc's
// own handle, which bypasses LD_PRELOAD; hand out the hooks above for those lookups too.
static const struct { const char *name; void *hook; } g_hooks[] = {
    {"open", (void *)open}, {"open64", (void *)open64}, {"openat", (void *)openat}, {"openat64", (void *)openat64},
    {"creat", (void *)creat}, {"creat64", (void *)creat64}, {"close", (void *)close}, {"write", (void *)write},
    {"pwrite", (void *)pwrite}, {"pwrite64", (void *)pwrite64}, {"writev", (void *)writev}, {"pwritev", (void *)pwritev},
    {"pwritev64", (void *)pwritev64}, {"ftruncate", (void *)ftruncate}, {"ftruncate64", (void *)ftruncate64},
    {"fsync", (void *)fsync}, {"fdatasync", (void *)fdatasync}, {"rename", (void *)rename}, {"renameat", (void *)renameat},
    {"link", (void *)link}, {"unlink", (void *)unlink}, {"unlinkat", (void *)unlinkat},
};

void *dlsym(void *handle, const char *name)
{
    static void *(*real_dlsym)(void *, const char *);
    if (!real_dlsym && !(real_dlsym = dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.34")))
        real_dlsym = dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.2.5");
    void *found = real_dlsym(handle, name);
    if (handle == RTLD_NEXT || handle == RTLD_DEFAULT || !found)
        return found;
    for (size_t i = 0; i < sizeof g_hooks / sizeof g_hooks[0]; i++)
        if (strcmp(name, g_hooks[i].name) == 0)
            return found == real_dlsym(RTLD_NEXT, name) ? g_hooks[i].hook : found; // only libc's own function is replaced
    return found;
}
