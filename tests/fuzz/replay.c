/*
 * replay - the fuzz targets without libFuzzer: runs LLVMFuzzerTestOneInput on every file of the
 * corpus folders given (or compiled in as FUZZ_CORPUS), so that `make check` replays each seed
 * corpus with gcc; prints TAP: one point per folder. A crash fails the test by itself.
 *   replay [FOLDER|FILE]...
 */
#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>

#include "fuzz.h"

/* LLVMFuzzerInitialize - targets that need no set-up do not define it */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    return 0;
}

/* replay_file - one input through the target; 0, or -1 when it cannot be read */
static int replay_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    uint8_t *buf = NULL;
    long size;

    if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 || (size = ftell(fp)) < 0
        || fseek(fp, 0, SEEK_SET) != 0 || (buf = malloc((size_t) size + 1)) == NULL
        || fread(buf, 1, (size_t) size, fp) != (size_t) size) {
        if (fp != NULL)
            fclose(fp);
        free(buf);
        return -1;
    }
    fclose(fp);
    LLVMFuzzerTestOneInput(buf, (size_t) size);
    free(buf);
    return 0;
}

/* replay_folder - every file of a folder (or the file itself); how many were replayed, -1 */
static long replay_folder(const char *path)
{
    char file[4096];
    struct dirent *de;
    struct stat sb;
    long n = 0;
    DIR *dir;

    if (stat(path, &sb) != 0)
        return -1;
    if (!S_ISDIR(sb.st_mode))
        return replay_file(path) == 0 ? 1 : -1;
    if ((dir = opendir(path)) == NULL)
        return -1;
    while ((de = readdir(dir)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
        if (replay_file(file) != 0) {
            n = -1;
            break;
        }
        n++;
    }
    closedir(dir);
    return n;
}

/* main - each argument (else FUZZ_CORPUS) replayed; one TAP point each */
int main(int argc, char **argv)
{
    static char *fallback[] = {FUZZ_CORPUS, NULL};
    char **paths = argc > 1 ? argv + 1 : fallback;
    int n = 0, failed = 0;

    LLVMFuzzerInitialize(&argc, &argv);
    for (; *paths != NULL; paths++) {
        long count = replay_folder(*paths);

        n++;
        printf("%s %d - %ld inputs of %s replayed\n", count > 0 ? "ok" : "not ok", n, count, *paths);
        failed |= count <= 0;
    }
    printf("1..%d\n", n);
    return failed;
}
