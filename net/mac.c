/*
 * tulipvm: MAC defaults and the host-wide registry (see net/mac.h).
 */
#include "net/mac.h"
#include "emu/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAC_DIR_DEFAULT "/tmp/tulipvm-macs"

struct NetMacClaim {
    int fd;
    uint8_t mac[6];
};

const char *net_mac_format(const uint8_t mac[6], char *buf)
{
    snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
             mac[3], mac[4], mac[5]);
    return buf;
}

void net_mac_default(const char *machine_id, const char *vm_name,
                     unsigned adapter, unsigned attempt, uint8_t mac[6])
{
    g_autofree char *file_id = NULL;
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    uint8_t digest[32];
    gsize dlen = sizeof(digest);
    char tail[32];

    if (!machine_id) {
        if (g_file_get_contents("/etc/machine-id", &file_id, NULL, NULL)) {
            g_strstrip(file_id);
        }
        /* No machine id: VM name and index still separate adapters. */
        machine_id = file_id ? file_id : "";
    }
    g_checksum_update(sum, (const guchar *)machine_id,
                      (gssize)strlen(machine_id) + 1);
    g_checksum_update(sum, (const guchar *)(vm_name ? vm_name : ""),
                      (gssize)strlen(vm_name ? vm_name : "") + 1);
    snprintf(tail, sizeof(tail), "%u/%u", adapter, attempt);
    g_checksum_update(sum, (const guchar *)tail, (gssize)strlen(tail));
    g_checksum_get_digest(sum, digest, &dlen);
    mac[0] = 0x00;
    mac[1] = 0x03;
    mac[2] = 0xFF;
    mac[3] = digest[0];
    mac[4] = digest[1];
    mac[5] = digest[2];
    /* All-zero and all-one suffixes look like placeholders; avoid them. */
    if ((mac[3] | mac[4] | mac[5]) == 0 || (mac[3] & mac[4] & mac[5]) == 0xFF) {
        mac[5] ^= 0x5A;
    }
}

static char *net_mac_dir(GError **errp)
{
    const char *env = g_getenv("TULIPVM_MAC_DIR");
    const char *dir = env && *env ? env : MAC_DIR_DEFAULT;

    struct stat st;

    if (mkdir(dir, 01777) == 0) {
        /* Shared by every user, like /tmp: the umask must not narrow it. */
        chmod(dir, 01777);
    } else if (errno != EEXIST) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST,
                    "MAC registry %s: cannot create it: %s", dir,
                    g_strerror(errno));
        return NULL;
    }
    /*
     * Anyone able to delete our lock files could hand out our MAC again:
     * the directory must be ours or root's, or sticky like /tmp.
     */
    if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) ||
        (st.st_uid != getuid() && st.st_uid != 0) ||
        ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST,
                    "MAC registry %s: not a safe directory (owner or "
                    "permissions)",
                    dir);
        return NULL;
    }
    return g_strdup(dir);
}

NetMacClaim *net_mac_claim(const uint8_t mac[6], const char *owner,
                           GError **errp)
{
    g_autofree char *dir = net_mac_dir(errp);
    g_autofree char *path = NULL;
    char text[18];
    int fd;

    if (!dir) {
        return NULL;
    }
    path = g_strdup_printf("%s/%02x%02x%02x%02x%02x%02x", dir, mac[0], mac[1],
                           mac[2], mac[3], mac[4], mac[5]);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0 && errno == EACCES) {
        /* Created by another user: a read-only descriptor can still lock. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    }
    if (fd < 0) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST, "MAC registry %s: %s",
                    path, g_strerror(errno));
        return NULL;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        char who[128] = "";
        ssize_t n = pread(fd, who, sizeof(who) - 1, 0);
        who[n > 0 ? n : 0] = 0;
        g_strchomp(who);
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "mac=%s is already in use on this host%s%s",
                    net_mac_format(mac, text), *who ? " by " : "", who);
        close(fd);
        return NULL;
    }
    /* Best effort: tells the next claimant who holds it. */
    if (ftruncate(fd, 0) == 0) {
        g_autofree char *line = g_strdup_printf(
            "VM '%s' (pid %d)\n", owner ? owner : "?", (int)getpid());
        if (pwrite(fd, line, strlen(line), 0) < 0) {
            TRACE(TRACE_NET, "MAC registry: cannot record the owner");
        }
    }
    NetMacClaim *c = g_new0(NetMacClaim, 1);
    c->fd = fd;
    memcpy(c->mac, mac, 6);
    return c;
}

void net_mac_release(NetMacClaim *c)
{
    if (!c) {
        return;
    }
    /* Unlocking is enough; the file stays for the next claimant. */
    close(c->fd);
    g_free(c);
}

NetMacClaim *net_mac_assign(bool has_mac, uint8_t mac[6], const char *vm_name,
                            unsigned index, GError **errp)
{
    if (has_mac) {
        return net_mac_claim(mac, vm_name, errp);
    }
    for (unsigned attempt = 0; attempt < NET_MAC_DEFAULT_ATTEMPTS; attempt++) {
        g_autoptr(GError) err = NULL;
        NetMacClaim *c;

        net_mac_default(NULL, vm_name, index, attempt, mac);
        c = net_mac_claim(mac, vm_name, &err);
        if (c) {
            return c;
        }
        if (err->code != EMU_ERROR_INVALID) {
            g_propagate_error(errp, g_steal_pointer(&err));
            return NULL;
        }
    }
    g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST,
                "no free default MAC for adapter %u after %d attempts", index,
                NET_MAC_DEFAULT_ATTEMPTS);
    return NULL;
}
