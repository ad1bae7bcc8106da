/**
 * The file-transfer protocol (T8): its constants, tables and message types. The pure codec is in
 * `file-transfer/codec.ts`.
 *
 * Every control message is `type u8 | length u32 BE | payload`. A file's body is NOT framed: after
 * an `accept` the sender writes exactly `size - offset` raw bytes, so the receiver can hand them
 * to the disk with no copy and no per-chunk header. Every field is bounded (see the limits below);
 * a length past the bound fails as soon as the 5-byte header has arrived.
 *
 * ```
 * sender                                            receiver
 * hello   01 | 00000006 | 'SLFT' ver=1 flags=7  ──►   (flags: FILE_TRANSFER_HELLO_FLAGS)
 *                                               ◄──  hello 01 | 00000006 | 'SLFT' 01 07
 * file    02 | len | size u64 | mode u16 | sha256[32] | nameLen u16 | name UTF-8  ──►
 *                                               ◄──  accept 03 | 00000008 | offset u64
 *                                                or  skip   04 | 00000000          (already have it)
 *                                                or  refuse 05 | len | reason u8 | msgLen u16 | msg
 * (after accept) raw body: size - offset bytes  ──►
 *                                               ◄──  result 06 | len | status u8 | sha256[32] | msgLen u16 | msg
 * … more files …
 * end     07 | 00000000                         ──►
 *                                               ◄──  end 07 | 00000000, then the receiver closes
 * at any point, for the whole session:          ◄──  error 08 | len | reason u8 | msgLen u16 | msg, then close
 * ```
 *
 * The hash after the body (hello flag `digestAfter`, when both ends set it): the sender may
 * announce a file before it knows the hash, with 32 zero bytes in the hash's place, and hash the
 * bytes as it sends them, so a file is read once instead of twice. The hash follows the body:
 *
 * ```
 * file    02 | len | size | mode | 00…00 (32) | nameLen | name  ──►
 *                                               ◄──  accept 03 | 00000008 | 0000000000000000
 *                                                or  refuse 05 | … | reason=digest-needed (14)
 * (after accept) raw body: size bytes           ──►
 * digest  09 | 00000020 | sha256[32]            ──►
 *                                               ◄──  result 06 | …
 * ```
 *
 * Skip and resume need the hash first (is the file there the same one? is the partial this
 * file's beginning?), so a receiver that has anything under the name (the file, or a partial)
 * refuses with `digest-needed`, and the sender announces the same file again with its hash, as
 * without the flag. A body cut short keeps its partial under the hash-less name
 * (`partialFileName(base)`); the next announcement with a hash resumes from it, and the end to
 * end check still decides: if it was another file's beginning, the result is `integrity`.
 *
 * Verdicts later (hello flag `pipelined`, when both ends set it): the sender does not wait for a
 * file's `result` before it announces the next file, and the receiver finishes a file (hash,
 * fsync, link, the folder's fsync) while it already takes the next one. Results still come in
 * the order the bodies went, but may come after later files' answers; a `result` is always the
 * verdict on the oldest body that has none yet:
 *
 * ```
 * file 1 ──►                     ◄── accept 1
 * body 1, file 2 ──►             ◄── accept 2   (file 1 is being fsynced meanwhile)
 * body 2, end ──►                ◄── result 1, result 2, end
 * ```
 *
 * Many small files then cost one fsync each and a share of their folder's (a folder's sync
 * covers every file linked into it before the sync began), not two round trips and two fsyncs.
 */
/** The protocol version this code speaks, sent in both hellos. */
export const FILE_TRANSFER_VERSION = 1;
/** The 4 magic bytes that open a hello: a receiver can tell a stray client at once. */
export const FILE_TRANSFER_MAGIC = 'SLFT';
/** Bytes before every control message's payload: type u8 and length u32. */
export const FILE_TRANSFER_HEADER_BYTES = 5;
/** The longest name on the wire, in bytes of UTF-8 (Linux `PATH_MAX` is 4096). */
export const FILE_TRANSFER_MAX_NAME_BYTES = 4096;
/** The longest human-readable message in a refusal, result or error, in bytes of UTF-8. */
export const FILE_TRANSFER_MAX_MESSAGE_BYTES = 1024;
/** The longest control payload: a `file` message with the longest name. */
export const FILE_TRANSFER_MAX_PAYLOAD_BYTES = 8 + 2 + 32 + 2 + FILE_TRANSFER_MAX_NAME_BYTES;
/** The largest file size or offset the protocol carries: 2^53 − 1, exact in a JS number. */
export const FILE_TRANSFER_MAX_FILE_BYTES = Number.MAX_SAFE_INTEGER;

/** The type byte of each control message. */
export const FILE_TRANSFER_TYPES = {
  hello: 0x01,
  file: 0x02,
  accept: 0x03,
  skip: 0x04,
  refuse: 0x05,
  result: 0x06,
  end: 0x07,
  error: 0x08,
  digest: 0x09,
} as const;

/**
 * Why a receiver refuses a file (`refuse`) or ends a session (`error`), with its byte on the wire.
 * `in-progress`: another session is writing the same name right now. `no-space`: the disk (or
 * the quota) filled up; the partial file is kept, so sending again later resumes (sent only to a
 * sender whose hello has {@link FILE_TRANSFER_HELLO_FLAGS} `noSpace`). `digest-needed`: a file was
 * announced without its hash and the receiver has something under that name; announce it again
 * with the hash (sent only to a sender whose hello has `digestAfter`).
 */
export const FILE_TRANSFER_REASONS = {
  'unsafe-name': 1,
  'too-large': 2,
  'too-many-files': 3,
  'session-too-large': 4,
  exists: 5,
  'file-system': 6,
  busy: 7,
  'unsupported-version': 8,
  malformed: 9,
  timeout: 10,
  internal: 11,
  'in-progress': 12,
  'no-space': 13,
  'digest-needed': 14,
} as const;

/**
 * Bits of a hello's flags byte: what this end understands beyond version 1's first tables. Each
 * end sets the bits it knows and reads the other's; an older peer sends 0 and ignores them, so
 * the version stays 1 and both directions keep working. `noSpace`: the reason `no-space` (13) may
 * be sent to this end; to a peer without it, a full disk is reported as `file-system`.
 * `digestAfter`: this end can announce a file without its hash and send the hash after the body
 * (a sender), or take such a file (a receiver); it is used only when both ends set it.
 * `pipelined`: this end can have the verdicts of several files outstanding: a sender announces
 * the next file before the last one's `result`, a receiver answers later files before earlier
 * results; used only when both ends set it.
 */
export const FILE_TRANSFER_HELLO_FLAGS = {
  noSpace: 0x01,
  digestAfter: 0x02,
  pipelined: 0x04,
} as const;

/** One of {@link FILE_TRANSFER_REASONS}. */
export type FileTransferReason = keyof typeof FILE_TRANSFER_REASONS;

/**
 * What the receiver found after a body: `integrity` means the SHA-256 did not match, `exists`
 * that a file of that name appeared meanwhile (it is never overwritten unless allowed).
 */
export const FILE_TRANSFER_STATUSES = {
  verified: 0,
  integrity: 1,
  'file-system': 2,
  exists: 3,
} as const;

/** One of {@link FILE_TRANSFER_STATUSES}. */
export type FileTransferStatus = keyof typeof FILE_TRANSFER_STATUSES;

/** One control message. `sha256` is 64 lowercase hex digits; sizes and offsets are bytes. */
export type FileTransferMessage =
  | {
      type: 'hello';
      version: number /** {@link FILE_TRANSFER_HELLO_FLAGS}, absent when 0 */;
      flags?: number;
    }
  | {
      type: 'file';
      name: string;
      size: number;
      mode: number;
      /** Absent: the hash follows the body in a `digest` (both hellos set `digestAfter`). */
      sha256?: string;
    }
  | { type: 'accept'; offset: number }
  | { type: 'skip' }
  | { type: 'refuse'; reason: FileTransferReason; message: string }
  | { type: 'result'; status: FileTransferStatus; sha256: string; message: string }
  | { type: 'end' }
  | { type: 'error'; reason: FileTransferReason; message: string }
  | { type: 'digest'; sha256: string };

/** A decoded message and how many bytes of the input it used. */
export interface DecodedFileTransferMessage {
  message: FileTransferMessage;
  bytesRead: number;
}
