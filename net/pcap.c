/*
 * tulipvm: pcap capture writer (see net/pcap.h).
 */
#include "net/pcap.h"
#include "emu/log.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define PCAP_MAGIC_NS      0xA1B23C4Du
#define PCAP_LINK_ETHERNET 1u

struct NetPcap {
    int fd;
    uint64_t frames;
    uint64_t errors;
};

typedef struct PcapFileHeader {
    uint32_t magic;
    uint16_t version_major, version_minor;
    int32_t thiszone;
    uint32_t sigfigs;
    uint32_t snaplen;
    uint32_t linktype;
} PcapFileHeader;

typedef struct PcapRecordHeader {
    uint32_t ts_sec, ts_nsec;
    uint32_t incl_len, orig_len;
} PcapRecordHeader;

NetPcap *net_pcap_open(const char *path, GError **errp)
{
    PcapFileHeader h = {
        .magic = PCAP_MAGIC_NS,
        .version_major = 2,
        .version_minor = 4,
        .snaplen = NET_PCAP_SNAPLEN,
        .linktype = PCAP_LINK_ETHERNET,
    };
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    if (fd < 0) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST,
                    "capture=%s: cannot create the file: %s", path,
                    g_strerror(errno));
        return NULL;
    }
    if (write(fd, &h, sizeof(h)) != (ssize_t)sizeof(h)) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST,
                    "capture=%s: cannot write the pcap header: %s", path,
                    g_strerror(errno));
        close(fd);
        return NULL;
    }
    NetPcap *p = g_new0(NetPcap, 1);
    p->fd = fd;
    return p;
}

void net_pcap_write(NetPcap *p, const uint8_t *frame, size_t len)
{
    struct timespec ts;
    PcapRecordHeader r;
    size_t incl = len < NET_PCAP_SNAPLEN ? len : NET_PCAP_SNAPLEN;
    struct iovec iov[2];

    clock_gettime(CLOCK_REALTIME, &ts);
    r.ts_sec = (uint32_t)ts.tv_sec;
    r.ts_nsec = (uint32_t)ts.tv_nsec;
    r.incl_len = (uint32_t)incl;
    r.orig_len = (uint32_t)len;
    iov[0].iov_base = &r;
    iov[0].iov_len = sizeof(r);
    iov[1].iov_base = (void *)frame;
    iov[1].iov_len = incl;
    if (writev(p->fd, iov, 2) != (ssize_t)(sizeof(r) + incl)) {
        /* A short write would corrupt the file: count it and go on. */
        p->errors++;
        return;
    }
    p->frames++;
}

void net_pcap_close(NetPcap *p)
{
    if (!p) {
        return;
    }
    close(p->fd);
    g_free(p);
}

uint64_t net_pcap_frames(const NetPcap *p)
{
    return p->frames;
}

uint64_t net_pcap_errors(const NetPcap *p)
{
    return p->errors;
}
