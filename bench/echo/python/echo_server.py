#!/usr/bin/python3
"""The asyncio and uvloop echo servers of bench/compare-echo.sh, written the three usual ways.

    python3 echo_server.py --port P --mode sock|streams|protocol [--uvloop]

Listens on 127.0.0.1:P and writes back whatever each connection sends:

  sock      the low-level loop calls: loop.sock_accept, then one task per client looping on
            loop.sock_recv and loop.sock_sendall
  streams   asyncio.start_server: one task per client looping on reader.read(65536), writer.write and
            await writer.drain()
  protocol  an asyncio.Protocol whose data_received calls transport.write; no task per client

--uvloop runs the same code on uvloop's loop. SIGINT or SIGTERM closes the listener and every
connection and exits 0.
"""

import argparse
import asyncio
import signal
import socket
import sys

HOST = "127.0.0.1"
# As deep as the kernel allows by default (net.core.somaxconn): connections arrive in bursts of
# hundreds when a benchmark starts.
BACKLOG = 4096
READ_SIZE = 65536


def listening_socket(port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    sock.listen(BACKLOG)
    sock.setblocking(False)
    return sock


async def serve_sock(port, stop):
    loop = asyncio.get_running_loop()
    listener = listening_socket(port)
    clients = set()

    async def echo(client):
        with client:
            try:
                while data := await loop.sock_recv(client, READ_SIZE):
                    await loop.sock_sendall(client, data)
            except ConnectionError:
                pass

    async def accept_forever():
        while True:
            client, _ = await loop.sock_accept(listener)
            # The streams and protocol transports set this themselves; a bare socket does not.
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            task = loop.create_task(echo(client))
            # The loop keeps only weak references to tasks: hold each until it ends.
            clients.add(task)
            task.add_done_callback(clients.discard)

    acceptor = loop.create_task(accept_forever())
    await stop.wait()
    for task in (acceptor, *clients):
        task.cancel()
    await asyncio.gather(acceptor, *clients, return_exceptions=True)
    listener.close()


async def serve_streams(port, stop):
    writers = set()

    async def echo(reader, writer):
        writers.add(writer)
        try:
            while data := await reader.read(READ_SIZE):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writers.discard(writer)
            writer.close()

    server = await asyncio.start_server(echo, sock=listening_socket(port))
    await stop.wait()
    server.close()
    for writer in list(writers):
        writer.close()
    await server.wait_closed()


class Echo(asyncio.Protocol):
    def __init__(self, transports):
        self.transports = transports
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport
        self.transports.add(transport)

    def data_received(self, data):
        self.transport.write(data)

    # A client that sends without reading would otherwise grow the write buffer without bound: stop
    # reading while the transport has more queued than its high-water mark.
    def pause_writing(self):
        self.transport.pause_reading()

    def resume_writing(self):
        self.transport.resume_reading()

    def connection_lost(self, exc):
        self.transports.discard(self.transport)


async def serve_protocol(port, stop):
    loop = asyncio.get_running_loop()
    transports = set()
    server = await loop.create_server(lambda: Echo(transports), sock=listening_socket(port))
    await stop.wait()
    server.close()
    for transport in list(transports):
        transport.close()
    await server.wait_closed()


SERVERS = {"sock": serve_sock, "streams": serve_streams, "protocol": serve_protocol}


async def main(port, mode):
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await SERVERS[mode](port, stop)


def parse_args(argv):
    parser = argparse.ArgumentParser(description="asyncio echo server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", choices=sorted(SERVERS), required=True)
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop's event loop")
    return parser.parse_args(argv)


if __name__ == "__main__":
    args = parse_args(sys.argv[1:])
    if args.uvloop:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    asyncio.run(main(args.port, args.mode))
