/**
 * One file's upload from the page: its stable id, a WebSocket to the receiver, the bytes the
 * receiver already has skipped (and re-hashed locally), then slices read from the File one at a
 * time and sent while fewer than `windowBytes` are unacknowledged and the socket's
 * bufferedAmount is small. The whole file is never in memory. SHA-256 is computed as it goes
 * (@noble/hashes: WebCrypto has no incremental digest) and sent at the end for the receiver to
 * compare before it keeps the file.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import {
  parseServerMessage,
  type ServerMessage,
  UPLOAD_PATH,
  type WebTransferErrorCode,
} from '../../src/web/protocol.ts';
import { SliceReader } from './slice-reader.ts';

/** How many bytes of a file's start go into its id. */
const ID_HEAD_BYTES = 64 * 1024;

export type UploadState =
  | 'waiting'
  | 'connecting'
  | 'checking'
  | 'sending'
  | 'paused'
  | 'verifying'
  | 'done'
  | 'failed';

/** What the page shows for one upload. */
export interface UploadView {
  state: UploadState;
  /** Bytes the receiver has acknowledged. */
  acked: number;
  /** Where this connection started (bytes the receiver already had). */
  offset: number;
  /** Bytes per second since this connection started sending. */
  rate: number;
  message: string;
  errorCode?: WebTransferErrorCode;
}

/** The stable id of a file: the same file picked again after a reload has the same one. */
export async function fileId(file: File): Promise<string> {
  const head = new Uint8Array(await file.slice(0, ID_HEAD_BYTES).arrayBuffer());
  return bytesToHex(
    sha256
      .create()
      .update(utf8ToBytes(`${file.name}\0${file.size}\0${file.lastModified}\0`))
      .update(head)
      .digest(),
  );
}

export interface UploadOptions {
  id: string;
  code: () => string | undefined;
  onChange: (upload: PageUpload) => void;
  onReady?: (upload: PageUpload) => void;
}

export class PageUpload {
  readonly view: UploadView = { state: 'waiting', acked: 0, offset: 0, rate: 0, message: '' };
  #ws: WebSocket | undefined;
  #hash = sha256.create();
  #sent = 0;
  #chunkBytes = 0;
  #windowBytes = 0;
  #pumping = false;
  #paused = false;
  #startedAt = 0;
  #ended = false;
  #checking = false;
  #source: SliceReader | undefined;
  #digest = '';

  constructor(
    readonly file: File,
    readonly options: UploadOptions,
  ) {}

  get id(): string {
    return this.options.id;
  }

  /** Connects (again) and continues from where the receiver's partial file ends. */
  start(): void {
    if (this.#ws !== undefined || this.view.state === 'done') return;
    this.#paused = false;
    this.#ended = false;
    this.#set('connecting', 'connecting…');
    const url = new URL(UPLOAD_PATH, location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    this.#ws = ws;
    ws.onopen = () => {
      const code = this.options.code();
      ws.send(
        JSON.stringify({
          type: 'begin',
          id: this.id,
          name: this.file.name,
          size: this.file.size,
          ...(code ? { code } : {}),
        }),
      );
    };
    ws.onmessage = (event) => {
      if (typeof event.data !== 'string') return;
      let message: ServerMessage;
      try {
        message = parseServerMessage(event.data);
      } catch (error) {
        this.#fail((error as Error).message);
        return;
      }
      void this.#onMessage(message).catch((error: Error) => this.#fail(error.message));
    };
    ws.onclose = () => {
      if (this.#ws !== ws) return;
      this.#ws = undefined;
      if (this.view.state !== 'done' && this.view.state !== 'failed') {
        this.#fail('the connection was lost: press Resume to continue where it stopped');
      }
    };
  }

  /** Stops sending after the slice in flight; the connection stays open. */
  pause(): void {
    if (this.view.state === 'done' || this.view.state === 'failed') return;
    this.#paused = true;
    this.#set('paused', 'paused');
  }

  /** Continues a paused upload, or reconnects a failed one. */
  resume(): void {
    if (this.view.state === 'done') return;
    this.#paused = false;
    if (this.#ws === undefined) {
      this.start();
      return;
    }
    if (this.#checking) {
      this.#set('checking', 'checking the part already sent…');
      return;
    }
    this.#set('sending', '');
    void this.#pump();
  }

  /** Closes the connection (the receiver keeps the partial file). */
  stop(): void {
    const ws = this.#ws;
    this.#ws = undefined;
    this.#source?.cancel();
    this.#source = undefined;
    ws?.close(1000);
  }

  async #onMessage(message: ServerMessage): Promise<void> {
    switch (message.type) {
      case 'ready': {
        this.#chunkBytes = message.chunkBytes;
        this.#windowBytes = message.windowBytes;
        this.view.offset = message.offset;
        this.view.acked = message.offset;
        this.options.onReady?.(this);
        this.#set('checking', message.offset > 0 ? 'checking the part already sent…' : '');
        this.#hash = sha256.create();
        this.#checking = true;
        try {
          const head = new SliceReader(this.file, 0, message.offset);
          for (let at = 0; at < message.offset; ) {
            const slice = await head.next(this.#chunkBytes);
            if (slice.length === 0) throw new Error(`${this.file.name} is shorter than it was`);
            this.#hash.update(slice);
            at += slice.length;
          }
        } finally {
          this.#checking = false;
        }
        this.#sent = message.offset;
        this.#source?.cancel();
        this.#source = new SliceReader(this.file, message.offset);
        this.#startedAt = performance.now();
        if (this.#paused) this.#set('paused', 'paused');
        else this.#set('sending', message.offset > 0 ? 'resumed' : '');
        await this.#pump();
        return;
      }
      case 'ack':
        this.view.acked = message.received;
        this.view.rate =
          (message.received - this.view.offset) /
          Math.max((performance.now() - this.#startedAt) / 1000, 0.001);
        this.options.onChange(this);
        await this.#pump();
        return;
      case 'done':
        if (message.sha256 !== this.#digest) {
          this.#fail('the receiver kept other bytes than were sent');
          return;
        }
        this.#set('done', `received, SHA-256 ${message.sha256.slice(0, 12)}…`);
        this.stop();
        return;
      case 'error':
        this.view.errorCode = message.code;
        this.#fail(message.message);
        return;
    }
  }

  /** Sends slices while the window and the socket's buffer allow. */
  async #pump(): Promise<void> {
    const ws = this.#ws;
    if (this.#pumping || ws === undefined || this.view.state !== 'sending') return;
    this.#pumping = true;
    try {
      while (
        !this.#paused &&
        this.#ws === ws &&
        this.#sent < this.file.size &&
        this.#sent - this.view.acked < this.#windowBytes &&
        ws.bufferedAmount < this.#windowBytes
      ) {
        const source = this.#source;
        if (source === undefined) return;
        const slice = await source.next(this.#chunkBytes);
        if (this.#ws !== ws || this.#source !== source) return;
        if (slice.length === 0) throw new Error(`${this.file.name} is shorter than it was`);
        this.#hash.update(slice);
        ws.send(slice);
        this.#sent += slice.length;
      }
      if (!this.#ended && this.#sent === this.file.size && this.view.acked === this.file.size) {
        this.#ended = true;
        this.#digest = bytesToHex(this.#hash.digest());
        this.#set('verifying', 'the receiver checks the SHA-256…');
        ws.send(JSON.stringify({ type: 'end', sha256: this.#digest }));
      }
    } finally {
      this.#pumping = false;
    }
  }

  #fail(message: string): void {
    this.stop();
    this.#set('failed', message);
  }

  #set(state: UploadState, message: string): void {
    this.view.state = state;
    this.view.message = message;
    this.options.onChange(this);
  }
}
