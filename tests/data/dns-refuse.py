# dns-refuse.py PORTFILE: a DNS server on 127.0.0.1 (UDP and TCP, a free port
# written to PORTFILE) that answers REFUSED at once, so that unbound-anchor's
# RFC 5011 probe fails immediately instead of reaching the network.
import os, socket, sys, threading

u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(('127.0.0.1', 0))
port = u.getsockname()[1]
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(('127.0.0.1', port))
t.listen(8)

def refused(q):
    # header: same id, QR set, opcode and RD kept, RCODE 5; question echoed
    if len(q) < 12:
        return b''
    return q[:2] + bytes([0x80 | (q[2] & 0x79), 0x05]) + q[4:6] + bytes(6) + q[12:]

def serve_tcp():
    while True:
        c, _ = t.accept()
        try:
            n = int.from_bytes(c.recv(2), 'big')
            r = refused(c.recv(n))
            c.sendall(len(r).to_bytes(2, 'big') + r)
        except OSError:
            pass
        finally:
            c.close()

threading.Thread(target=serve_tcp, daemon=True).start()
with open(sys.argv[1] + '.tmp', 'w') as f:
    f.write(str(port))
os.rename(sys.argv[1] + '.tmp', sys.argv[1])
while True:
    q, a = u.recvfrom(4096)
    r = refused(q)
    if r:
        u.sendto(r, a)
