/*
 * tulipvm: in-process test backends for the netdev contract (net/port.h).
 *
 * NetRecorder is the far end of a NIC's cable in tests and benchmarks: it
 * records what it receives (bounded, oldest dropped first and counted),
 * injects frames towards the NIC, can refuse frames to exercise
 * backpressure, and remembers the receive filter the NIC declared.
 *
 * NetLoopPair is a cable with two ends: a frame received on one end is
 * sent out of the other, so two NICs (or a NIC and a recorder) can be
 * joined with counters in between.
 */
#ifndef NET_LOOP_H
#define NET_LOOP_H

#include "net/port.h"

typedef struct NetRecorder NetRecorder;

NetRecorder *net_recorder_new(Clock *clock, const char *name,
                              unsigned max_frames);
void net_recorder_free(NetRecorder *r);
NetPort *net_recorder_port(NetRecorder *r);

/* Send a frame to the peer (the NIC); returns net_port_send's verdict. */
ssize_t net_recorder_inject(NetRecorder *r, const uint8_t *frame, size_t len);

/* Frames received and kept, oldest first. */
unsigned net_recorder_count(const NetRecorder *r);
const GByteArray *net_recorder_frame(const NetRecorder *r, unsigned i);
void net_recorder_clear(NetRecorder *r);
/* Frames received in total, and those dropped because the log was full. */
uint64_t net_recorder_total(const NetRecorder *r);
uint64_t net_recorder_overflow(const NetRecorder *r);

/* While refusing, receive() returns 0; accepting again flushes. */
void net_recorder_set_refuse(NetRecorder *r, bool refuse);
/* How often the peer told us it may receive again (ready hook). */
unsigned net_recorder_ready_count(const NetRecorder *r);
/* The receive filter the peer declared last, and how many times. */
const NetRxFilter *net_recorder_peer_filter(const NetRecorder *r);
unsigned net_recorder_filter_changes(const NetRecorder *r);

typedef struct NetLoopPair NetLoopPair;

NetLoopPair *net_loop_pair_new(Clock *clock, const char *name);
void net_loop_pair_free(NetLoopPair *p);
/* End 0 or 1. */
NetPort *net_loop_pair_end(NetLoopPair *p, int i);
/* Frames carried from end i to the other end. */
uint64_t net_loop_pair_carried(const NetLoopPair *p, int i);

#endif /* NET_LOOP_H */
