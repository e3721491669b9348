/* racewire-stress merge OUT DIR...: shards' output folders into one. */
#ifndef RWS_MERGE_H
#define RWS_MERGE_H

/* argv holds OUT and the DIRs (argc of them).  Exit status: 0 merged, no
 * failure; 1 merged, a failure among the runs; 2 bad arguments or a folder
 * that is missing, incomplete or from another job; 3 OUT not written. */
int rws_merge_main(int argc, char **argv);

#endif
