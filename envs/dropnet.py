"""Make a no-network container's outside "routable but unanswering" (RepoSpec ``network: drop``).

A container started with ``network_mode="none"`` has only ``lo``: a connect to any other address
fails at once with ENETUNREACH. On a real network a connect to an address nobody answers (tests
use the non-routable 10.255.255.1 as a tarpit) *times out* instead. This script, run in the
container's network namespace with CAP_NET_ADMIN, adds:

* an interface ``dsfix0`` (up, no ARP, address 198.51.100.2/32 from TEST-NET-2) of kind ``dummy``,
  else ``ifb`` where the kernel has no dummy driver (this machine's): both discard every packet
  they are given (an ifb forwards only what a tc rule redirects to it; there is none) and are
  connected to nothing;
* a default route through it: packets to any non-local IPv4 address are silently dropped, so
  connects time out as on a real network;
* ``unreachable`` routes for the nameservers given as arguments (those of the container's
  ``/etc/resolv.conf``): name lookups keep failing at once, as with no network, instead of
  waiting for the resolver's timeouts.

Nothing else is created: the namespace still has no veth, no bridge, no route to the host.

It is run by a short-lived helper container that joins the test container's network namespace
(``network_mode="container:<id>"``) with only CAP_NET_ADMIN, before any patch or test runs; the
test container itself never gets that capability. Stdlib only (rtnetlink by hand: minimal images
have no ``ip``), Python 3.6+. Its own text is shipped into the helper (``python3 -c``).
"""
import os
import socket
import struct
import sys

IFNAME = "dsfix0"
ADDRESS = "198.51.100.2"
NLMSG_ERROR = 2
RTM_NEWLINK, RTM_NEWADDR, RTM_NEWROUTE = 16, 20, 24
NLM_F_REQUEST, NLM_F_ACK, NLM_F_EXCL, NLM_F_CREATE = 0x1, 0x4, 0x200, 0x400
IFLA_IFNAME, IFLA_LINKINFO, IFLA_INFO_KIND = 3, 18, 1
IFA_ADDRESS, IFA_LOCAL = 1, 2
RTA_DST, RTA_OIF = 1, 4
IFF_UP, IFF_NOARP = 0x1, 0x80
KINDS = ("dummy", "ifb")      # devices that drop what they are sent
RT_TABLE_MAIN, RTPROT_BOOT = 254, 3
RT_SCOPE_UNIVERSE, RT_SCOPE_LINK = 0, 253
RTN_UNICAST, RTN_UNREACHABLE = 1, 7


def _attr(kind, data):
    n = 4 + len(data)
    return struct.pack("HH", n, kind) + data + b"\0" * (-n % 4)


class Netlink:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)   # NETLINK_ROUTE
        self.sock.bind((0, 0))
        self.seq = 0

    def request(self, kind, flags, body, what):
        self.seq += 1
        msg = struct.pack("IHHII", 16 + len(body), kind, flags | NLM_F_REQUEST | NLM_F_ACK, self.seq, 0) + body
        self.sock.send(msg)
        data = self.sock.recv(65536)
        _, typ, _, _, _ = struct.unpack("IHHII", data[:16])
        if typ == NLMSG_ERROR:
            err = struct.unpack("i", data[16:20])[0]
            if err:
                raise OSError(-err, "%s: %s" % (what, os.strerror(-err)))


def setup(nameservers):
    nl = Netlink()
    create = NLM_F_CREATE | NLM_F_EXCL
    flags = IFF_UP | IFF_NOARP
    ifinfo = struct.pack("BxHiII", socket.AF_UNSPEC, 0, 0, flags, flags)
    for i, kind in enumerate(KINDS):
        try:
            nl.request(RTM_NEWLINK, create, ifinfo + _attr(IFLA_IFNAME, IFNAME.encode() + b"\0")
                       + _attr(IFLA_LINKINFO, _attr(IFLA_INFO_KIND, kind.encode())), "add %s link %s" % (kind, IFNAME))
            break
        except OSError as e:
            if e.errno != 95 or i == len(KINDS) - 1:     # EOPNOTSUPP: no such driver, try the next
                raise
    index = socket.if_nametoindex(IFNAME)
    addr = socket.inet_aton(ADDRESS)
    nl.request(RTM_NEWADDR, create, struct.pack("BBBBI", socket.AF_INET, 32, 0, RT_SCOPE_UNIVERSE, index)
               + _attr(IFA_LOCAL, addr) + _attr(IFA_ADDRESS, addr), "add address " + ADDRESS)
    nl.request(RTM_NEWROUTE, create, struct.pack("BBBBBBBBI", socket.AF_INET, 0, 0, 0, RT_TABLE_MAIN, RTPROT_BOOT,
                                                 RT_SCOPE_LINK, RTN_UNICAST, 0)
               + _attr(RTA_OIF, struct.pack("I", index)), "add default route via " + IFNAME)
    for ns in nameservers:
        try:
            dst = socket.inet_aton(ns)
        except OSError:
            continue            # an IPv6 nameserver: IPv6 has no route at all, lookups fail at once
        nl.request(RTM_NEWROUTE, create, struct.pack("BBBBBBBBI", socket.AF_INET, 32, 0, 0, RT_TABLE_MAIN,
                                                     RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNREACHABLE, 0)
                   + _attr(RTA_DST, dst), "add unreachable route for nameserver " + ns)
    return kind


if __name__ == "__main__":
    print("dsfix-dropnet: %s (%s) up, %s/32, default route via it; unreachable: %s"
          % (IFNAME, setup(sys.argv[1:]), ADDRESS, " ".join(sys.argv[1:]) or "-"))
