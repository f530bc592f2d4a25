/*
 * A minimal guest TCP/IP stack for tests: what a guest OS behind an
 * adapter does on the wire (ARP, DHCP client, UDP, one TCP connection with
 * in-order receive, window-respecting send and go-back-N retransmission).
 * It talks through a NetPort exactly as a NIC would, so the network
 * services are exercised by real protocol exchanges, not mocks.
 */
#ifndef GUEST_STACK_H
#define GUEST_STACK_H

#include "net/port.h"

enum {
    GTCP_CLOSED,
    GTCP_LISTEN,
    GTCP_SYN_SENT,
    GTCP_SYN_RCVD,
    GTCP_ESTABLISHED
};

typedef struct GuestTcp {
    int state;
    uint16_t lport, rport;
    uint8_t rip[4];
    uint32_t snd_una, snd_nxt, rcv_nxt, peer_wnd;
    bool rst, fin_rcvd;
    GByteArray *rx;
    GByteArray *tx; /* everything ever queued; snd_* index into it */
    uint32_t iss;
    unsigned stall;
} GuestTcp;

typedef struct Guest {
    NetPort port;
    uint8_t mac[6];
    uint8_t ip[4], router[4], dns[4], server_id[4], offered[4];
    uint8_t gw_mac[6];
    bool gw_known;
    int dhcp; /* 0 idle, 1 discover sent, 2 request sent, 3 bound */
    uint32_t xid;
    uint16_t ip_id;
    GuestTcp tcp;
    /* last UDP datagram received */
    bool udp_got;
    uint8_t udp_src[4];
    uint16_t udp_sport, udp_dport;
    GByteArray *udp_rx;
} Guest;

void guest_init(Guest *g, Clock *clk, const uint8_t mac[6]);
void guest_cleanup(Guest *g);
void guest_set_ip(Guest *g, const uint8_t ip[4]);
void guest_dhcp_discover(Guest *g);
void guest_arp_request(Guest *g, const uint8_t ip[4]);
void guest_udp_send(Guest *g, const uint8_t dst[4], uint16_t sport,
                    uint16_t dport, const uint8_t *data, size_t len);
void guest_tcp_connect(Guest *g, const uint8_t dst[4], uint16_t dport,
                       uint16_t sport);
void guest_tcp_listen(Guest *g, uint16_t port);
void guest_tcp_write(Guest *g, const uint8_t *data, size_t len);
/* Send what the window allows; retransmit after a long stall. */
void guest_poll(Guest *g);

#endif
