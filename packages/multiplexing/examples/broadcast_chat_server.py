#!/usr/bin/env python3
"""The broadcast chat of exercise 03-broadcast-chat in standard-library Python 3 (asyncio, one thread).

Every client is welcomed as guestN into #lobby; its lines go to the others in its room as
"<nick> text"; /me, /join ROOM and /leave; joins and leaves are announced to the room. The same
protocol as this package's room chat (listenRoomChat, socketlab-mux chat).

    PORT=7000 python3 examples/broadcast_chat_server.py      # then: nc 127.0.0.1 7000, twice
    SOCKETLAB_TARGET='cmd:python3 examples/broadcast_chat_server.py' pnpm exec vitest run exercises/03-broadcast-chat
"""

import asyncio
import os
import re

MAX_LINE_BYTES = 16 * 1024
LOBBY = "lobby"
ROOM_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")
ROOM_COMMAND = re.compile(r"/(join|leave|me)(?:\s+(.*))?", re.IGNORECASE | re.DOTALL)


class Member:
    def __init__(self, nick: str, writer: asyncio.StreamWriter) -> None:
        self.nick = nick
        self.room = LOBBY
        self.writer = writer


# Shared by every connection; one thread, so no locks: each callback runs to its next await alone.
# A dict keeps insertion order: the order members came into each room.
rooms: dict[str, dict[Member, None]] = {LOBBY: {}}
guests = 0


def say(member: Member, text: str) -> None:
    member.writer.write(text.encode("utf-8"))  # buffered; a client that never reads is not bounded here


def tell(room: str, text: str, except_: Member | None = None) -> None:
    for member in rooms.get(room, {}):
        if member is not except_:
            say(member, text)


def enter(member: Member, room: str) -> None:
    rooms.setdefault(room, {})[member] = None
    member.room = room
    tell(room, f"* {member.nick} joined #{room}\n", member)


def leave(member: Member, why: str | None = None) -> None:
    members = rooms.get(member.room)
    if members is None or member not in members:
        return
    del members[member]
    if not members and member.room != LOBBY:
        del rooms[member.room]
    suffix = f" ({why})" if why else ""
    tell(member.room, f"* {member.nick} left #{member.room}{suffix}\n")


def move(member: Member, room: str) -> None:
    if room == member.room:
        say(member, f"! you are already in #{room}\n")
        return
    leave(member, f"to #{room}")
    enter(member, room)
    nicks = [m.nick for m in rooms[room]]
    say(member, f"* you are in #{room} ({len(nicks)} here): {', '.join(nicks)}\n")


def handle(member: Member, text: str) -> bool:
    """One line from `member`; False when it asked to quit."""
    if text.strip() == "":
        return True
    command = ROOM_COMMAND.fullmatch(text.rstrip())
    if command:
        word, rest = command.group(1).lower(), (command.group(2) or "").strip()
        if word == "me":
            if rest:
                tell(member.room, f"* {member.nick} {rest}\n")
            else:
                say(member, "! /me needs some text: /me waves\n")
        elif word == "leave":
            if member.room == LOBBY:
                say(member, "! you are in #lobby already\n")
            else:
                move(member, LOBBY)
        else:
            room = rest[1:] if rest.startswith("#") else rest
            if ROOM_NAME.fullmatch(room):
                move(member, room)
            else:
                say(member, f"! invalid room {room!r}: use 1 to 32 letters, digits, _ or -\n")
    elif text.startswith("//"):
        tell(member.room, f"<{member.nick}> {text[1:]}\n", member)
    elif text.startswith("/"):
        word = text[1:].split()[0].lower() if text[1:].split() else ""
        if word == "who":
            nicks = [m.nick for m in rooms[member.room]]
            say(member, f"* in #{member.room} ({len(nicks)}): {', '.join(nicks)}\n")
        elif word == "quit":
            leave(member)
            say(member, "* bye\n")
            return False
        else:
            say(member, f"! unknown command /{word}: type /help\n")
    else:
        tell(member.room, f"<{member.nick}> {text}\n", member)
    return True


async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    global guests
    guests += 1
    member = Member(f"guest{guests}", writer)
    enter(member, LOBBY)
    say(member, f"* welcome, you are {member.nick}, in #lobby ({len(rooms[LOBBY])} here); type /help for commands\n")
    try:
        while True:
            line = await reader.readuntil(b"\n")  # raises IncompleteReadError at the client's FIN
            text = line.decode("utf-8", errors="replace").rstrip("\n").removesuffix("\r")
            if not handle(member, text):
                break
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, OSError):
        pass  # FIN, a line too long, or a reset: this client leaves
    finally:
        leave(member)
        writer.close()


async def main() -> None:
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "7000"))
    server = await asyncio.start_server(serve, host, port, limit=MAX_LINE_BYTES)
    print(f"broadcast chat listening on {host}:{port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
