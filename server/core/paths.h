/*
 * paths.h - where the server keeps its files: the data directory (from
 * the config) and its tmp/ sub-directory for uploads and half-written
 * files.  Subsystems make their own sub-directories below paths_data().
 */
#ifndef SB_PATHS_H
#define SB_PATHS_H

#include <stddef.h>

/* Create DATA (with its parents) and DATA/tmp.  0 or -errno + message. */
/* thread: main */
int paths_init(const char *data_dir, char *err, size_t errlen);

/* The data directory, as configured. */
/* thread: any */
const char *paths_data(void);

/* DATA/tmp: same file system as the data, so a rename is atomic. */
/* thread: any */
const char *paths_tmp(void);

/* mkdir that accepts an existing directory.  0 or -errno + message. */
/* thread: any */
int paths_mkdir(const char *path, char *err, size_t errlen);

#endif
