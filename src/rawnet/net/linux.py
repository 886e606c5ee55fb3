"""Linux socket constants and structures the standard library does not name (kernel names kept).

Only numbers and struct layouts live here; the socket classes in sockets.py use them.
"""

from __future__ import annotations

import socket
import struct

ETH_P_ALL = 0x0003  #: every protocol (linux/if_ether.h)
ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
ETH_P_IPV6 = 0x86DD

SOL_PACKET = 263  #: linux/socket.h
SIOCGIFINDEX = 0x8933  #: linux/sockios.h: an interface's index by name
PACKET_AUXDATA = 8  #: linux/if_packet.h
PACKET_STATISTICS = 6
PACKET_IGNORE_OUTGOING = 23
PACKET_RX_RING = 5
PACKET_VERSION = 10
PACKET_FANOUT = 18
TPACKET_V3 = 2
SO_DETACH_FILTER = 27  #: asm-generic/socket.h
SIOCGIFNAME = 0x8910  #: linux/sockios.h: an interface's name by index

#: PACKET_FANOUT's modes (the high 16 bits of its int, the group id in the low 16) and a flag.
PACKET_FANOUT_HASH = 0
PACKET_FANOUT_LB = 1
PACKET_FANOUT_CPU = 2
PACKET_FANOUT_FLAG_DEFRAG = 0x8000

#: tp_status / block_status bits (linux/if_packet.h).
TP_STATUS_KERNEL = 0
TP_STATUS_USER = 1
TP_STATUS_COPY = 2
TP_STATUS_LOSING = 4
TP_STATUS_BLK_TMO = 0x20
TPACKET_ALIGNMENT = 16

#: struct tpacket_req3: tp_block_size, tp_block_nr, tp_frame_size, tp_frame_nr,
#: tp_retire_blk_tov (ms), tp_sizeof_priv, tp_feature_req_word.
TPACKET_REQ3 = struct.Struct("IIIIIII")
#: struct tpacket_block_desc with tpacket_hdr_v1: version, offset_to_priv, block_status,
#: num_pkts, offset_to_first_pkt, blk_len, seq_num (the timestamps after it are not read).
TPACKET_BLOCK_DESC = struct.Struct("IIIIIIQ")
#: struct tpacket3_hdr: tp_next_offset, tp_sec, tp_nsec, tp_snaplen, tp_len, tp_status, tp_mac,
#: tp_net, and hv1's tp_rxhash, tp_vlan_tci, tp_vlan_tpid, tp_padding (then 8 bytes of padding).
TPACKET3_HDR = struct.Struct("IIIIIIHHIIHH")
TPACKET3_HDR_SIZE = 48  #: sizeof(struct tpacket3_hdr); sockaddr_ll follows at TPACKET_ALIGN of it
#: struct sockaddr_ll: sll_family, sll_protocol (network order), sll_ifindex, sll_hatype,
#: sll_pkttype, sll_halen, sll_addr.
SOCKADDR_LL = struct.Struct("HHiHBB8s")
#: struct tpacket_stats_v3: tp_packets (drops included), tp_drops, tp_freeze_q_cnt.
TPACKET_STATS_V3 = struct.Struct("III")

#: sll_hatype values (linux/if_arp.h) whose frames begin with an Ethernet header; on others
#: (tun and wireguard are ARPHRD_NONE, 65534) a packet socket's data begins at the IP header.
ARPHRD_ETHER = 1
ARPHRD_LOOPBACK = 772
ETHERNET_HATYPES = frozenset({ARPHRD_ETHER, ARPHRD_LOOPBACK})
ARPHRD_RAWIP = 519
ARPHRD_TUNNEL = 768
ARPHRD_TUNNEL6 = 769
ARPHRD_SIT = 776
ARPHRD_NONE = 0xFFFE
#: hatypes whose packets have no link header at all: libpcap records them as raw IP (DLT_RAW).
RAW_IP_HATYPES = frozenset({ARPHRD_NONE, ARPHRD_RAWIP, ARPHRD_TUNNEL, ARPHRD_TUNNEL6, ARPHRD_SIT})

#: Classic BPF's ancillary loads (linux/filter.h): offsets that read the packet's metadata.
SKF_AD_OFF = -0x1000
SKF_AD_PROTOCOL = 0
SKF_AD_PKTTYPE = 4
SKF_AD_IFINDEX = 8
SKF_AD_HATYPE = 28

#: sll_pkttype values (linux/if_packet.h): which way a frame went.
PACKET_TYPES = {0: "host", 1: "broadcast", 2: "multicast", 3: "otherhost", 4: "outgoing"}

#: asm-generic/socket.h: receive times from the kernel, as struct timespec ancillary data.
SO_TIMESTAMPNS = 35
TIMESPEC = struct.Struct("qq")  # 64-bit time_t and long, as on x86-64 and arm64

IPPROTO_RAW = socket.IPPROTO_RAW
IP_HDRINCL = socket.IP_HDRINCL

#: struct tpacket_stats (linux/if_packet.h): packets seen, packets dropped.
TPACKET_STATS = struct.Struct("II")

#: struct tpacket_auxdata (linux/if_packet.h), PACKET_AUXDATA's ancillary data: tp_status, tp_len,
#: tp_snaplen, tp_mac, tp_net, tp_vlan_tci, tp_vlan_tpid.
TPACKET_AUXDATA = struct.Struct("IIIHHHH")
TP_STATUS_VLAN_VALID = 0x10
TP_STATUS_VLAN_TPID_VALID = 0x40
ETH_P_8021Q = 0x8100


def sockaddr_ll(address: tuple[str, int, int, int, bytes]) -> dict[str, object]:
    """Python's AF_PACKET address tuple (ifname, proto, pkttype, hatype, addr) by name."""
    ifname, proto, pkttype, hatype, addr = address
    return {
        "interface": ifname,
        "protocol": proto,
        "direction": PACKET_TYPES.get(pkttype, str(pkttype)),
        "hatype": hatype,
        "address": addr.hex(":"),
    }


#: The transmit engine's packet socket options (linux/if_packet.h) and ring (TPACKET_V2).
PACKET_VERSION = 10
PACKET_TX_RING = 13
PACKET_LOSS = 14
PACKET_QDISC_BYPASS = 20
TPACKET_V2 = 1
#: struct tpacket_req: tp_block_size, tp_block_nr, tp_frame_size, tp_frame_nr.
TPACKET_REQ = struct.Struct("IIII")
#: sizeof(struct tpacket2_hdr), 16-aligned: a TX frame's data begins this far into its slot
#: (TPACKET2_HDRLEN - sizeof(struct sockaddr_ll), without PACKET_TX_HAS_OFF).
TPACKET2_HDR_ALIGNED = 32
TPACKET_ALIGNMENT = 16
#: tp_status of a TX ring's frames: free for the sender, queued for the kernel, being sent, refused.
TP_STATUS_AVAILABLE = 0
TP_STATUS_SEND_REQUEST = 1
TP_STATUS_SENDING = 2
TP_STATUS_WRONG_FORMAT = 4
SIOCGIFMTU = 0x8921  #: linux/sockios.h: an interface's MTU by name
UIO_MAXIOV = 1024  #: the most messages one sendmmsg takes (linux/uio.h)
PR_SET_PDEATHSIG = 1  #: linux/prctl.h: a signal for this process when its parent dies
#: struct timeval (SO_SNDTIMEO): seconds, microseconds (64-bit longs, as on x86-64 and arm64).
TIMEVAL = struct.Struct("qq")
SIOCETHTOOL = 0x8946  #: linux/sockios.h: ethtool requests
SO_RCVBUFFORCE = 33  #: asm-generic/socket.h: a receive buffer past net.core.rmem_max, as root
ETHTOOL_GDRVINFO = 0x00000003  #: linux/ethtool.h: the driver's name and versions
#: sizeof(struct ethtool_drvinfo); its driver name is 32 bytes at offset 4.
ETHTOOL_DRVINFO_SIZE = 196
