# https-serve.py DIR PORTFILE CERT KEY: serve DIR over HTTPS on 127.0.0.1 (a free
# port, written to PORTFILE once listening).  Test helper for unbound-anchor.
import functools, http.server, os, ssl, sys

class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

d, portfile, cert, key = sys.argv[1:5]
srv = http.server.HTTPServer(('127.0.0.1', 0), functools.partial(Quiet, directory=d))
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(portfile + '.tmp', 'w') as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + '.tmp', portfile)
srv.serve_forever()
