/*
 * tulipvm: packet capture to a classic pcap file.
 *
 * Nanosecond-resolution pcap (magic 0xA1B23C4D), link type 1 (Ethernet
 * without FCS), written in host byte order, one write per frame so the
 * file can be followed live ("tail -c +1 -f f.pcap | tcpdump -r -").
 * Timestamps are host wall-clock time: a capture is compared with host
 * tools, not with the guest's virtual time.
 *
 * Not provided: pcapng and per-packet direction (one file per adapter
 * carries both directions, like QEMU's filter-dump).
 */
#ifndef NET_PCAP_H
#define NET_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#define NET_PCAP_SNAPLEN 65535

typedef struct NetPcap NetPcap;

/* Creates (truncates) path and writes the file header. */
NetPcap *net_pcap_open(const char *path, GError **errp);
void net_pcap_write(NetPcap *p, const uint8_t *frame, size_t len);
void net_pcap_close(NetPcap *p);

uint64_t net_pcap_frames(const NetPcap *p);
/* Frames lost to write errors (disk full...). */
uint64_t net_pcap_errors(const NetPcap *p);

#endif /* NET_PCAP_H */
