/**
 * The upload page: files chosen or dropped are uploaded two at a time, each with its progress,
 * rate and a Pause/Resume button; unfinished ones are remembered across reloads and continue when
 * the same file is chosen again; the receiver's files are listed for download.
 */
import type { ReceivedFile, ReceiverInfo } from '../../src/web/protocol.ts';
import { forgetPending, type PendingUpload, readPending, rememberPending } from './pending.ts';
import { fileId, PageUpload } from './upload.ts';

/** Uploads running at once; the rest wait their turn. */
const CONCURRENT_UPLOADS = 2;
const RUNNING = new Set(['connecting', 'checking', 'sending', 'verifying']);

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $<HTMLParagraphElement>('status');
const codeInput = $<HTMLInputElement>('code');
const filesInput = $<HTMLInputElement>('files');
const drop = $<HTMLDivElement>('drop');
const uploadsList = $<HTMLUListElement>('uploads');
const pendingList = $<HTMLUListElement>('pending');
const receivedList = $<HTMLUListElement>('received');

const uploads: PageUpload[] = [];
const rows = new Map<PageUpload, HTMLLIElement>();
const savedAt = new Map<PageUpload, number>();

/** `1.5 MB`, `320 kB`, `12 B`. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

const code = () => codeInput.value.trim() || undefined;
const withCode = (path: string) => {
  const c = code();
  return c === undefined
    ? path
    : `${path}${path.includes('?') ? '&' : '?'}code=${encodeURIComponent(c)}`;
};

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

function renderUpload(upload: PageUpload): void {
  let row = rows.get(upload);
  const { file, view } = upload;
  if (row === undefined) {
    const progress = el('progress', { max: Math.max(file.size, 1) });
    progress.setAttribute('aria-label', `${file.name} progress`);
    const button = el('button', { type: 'button', className: 'toggle' });
    button.addEventListener('click', () => {
      if (upload.view.state === 'sending' || upload.view.state === 'checking') upload.pause();
      else upload.resume();
      schedule();
    });
    row = el(
      'li',
      {},
      el('span', { className: 'name' }, file.name),
      progress,
      el('span', { className: 'detail' }),
      button,
    );
    row.dataset.id = upload.id;
    rows.set(upload, row);
    uploadsList.append(row);
  }
  row.dataset.state = view.state;
  const progress = row.querySelector('progress') as HTMLProgressElement;
  progress.value = file.size === 0 ? (view.state === 'done' ? 1 : 0) : view.acked;
  const parts = [`${formatBytes(view.acked)} of ${formatBytes(file.size)}`];
  if (view.state === 'sending' && view.rate > 0) parts.push(`${formatBytes(view.rate)}/s`);
  if (view.state === 'waiting') parts.push('waiting');
  if (view.message) parts.push(view.message);
  const detail = row.querySelector('.detail') as HTMLSpanElement;
  detail.textContent = parts.join(' · ');
  detail.classList.toggle('error', view.state === 'failed');
  const button = row.querySelector('button') as HTMLButtonElement;
  const pausable = view.state === 'sending' || view.state === 'checking';
  button.textContent = pausable ? 'Pause' : 'Resume';
  button.setAttribute('aria-label', `${pausable ? 'Pause' : 'Resume'} ${file.name}`);
  button.hidden = view.state === 'done' || view.state === 'verifying';
  button.disabled = view.state === 'waiting' || view.state === 'connecting';
}

function renderPending(): void {
  const here = new Set(uploads.map((u) => u.id));
  const pending = readPending().filter((p) => !here.has(p.id));
  $<HTMLElement>('pending-section').hidden = pending.length === 0;
  pendingList.replaceChildren(
    ...pending.map((p: PendingUpload) => {
      const forget = el('button', { type: 'button', className: 'link-button' }, 'Forget');
      forget.setAttribute('aria-label', `Forget ${p.name}`);
      forget.addEventListener('click', () => {
        forgetPending(p.id);
        renderPending();
      });
      const percent = p.size === 0 ? 0 : Math.floor((p.acked / p.size) * 100);
      const li = el(
        'li',
        {},
        el('span', { className: 'name' }, p.name),
        ` — ${percent} % of ${formatBytes(p.size)} sent. Choose it again to resume. `,
        forget,
      );
      li.dataset.id = p.id;
      return li;
    }),
  );
}

async function refreshReceived(): Promise<void> {
  const response = await fetch(withCode('/api/files'));
  if (!response.ok) {
    receivedList.replaceChildren();
    $<HTMLElement>('received-empty').textContent =
      response.status === 403 ? 'Type the code phrase to see them.' : 'The list is not available.';
    return;
  }
  const files = (await response.json()) as ReceivedFile[];
  $<HTMLElement>('received-empty').textContent = files.length === 0 ? 'Nothing yet.' : '';
  receivedList.replaceChildren(
    ...files.map((f) =>
      el(
        'li',
        {},
        el(
          'a',
          { href: withCode(`/files/${encodeURIComponent(f.name)}`), download: f.name },
          f.name,
        ),
        ` ${formatBytes(f.size)}`,
      ),
    ),
  );
}

function onChange(upload: PageUpload): void {
  renderUpload(upload);
  const { state, acked } = upload.view;
  if (state === 'done') {
    forgetPending(upload.id);
    void refreshReceived();
  } else if (state === 'sending' || state === 'paused') {
    // At most once a second: the acknowledged count shown for an unfinished upload after a reload.
    const now = Date.now();
    if (now - (savedAt.get(upload) ?? 0) > 1000) {
      savedAt.set(upload, now);
      rememberPending({ id: upload.id, name: upload.file.name, size: upload.file.size, acked });
    }
  }
  if (state === 'done' || state === 'failed' || state === 'paused') schedule();
  const running = uploads.filter((u) => RUNNING.has(u.view.state)).length;
  const done = uploads.filter((u) => u.view.state === 'done').length;
  status.textContent = `${done} of ${uploads.length} received${running > 0 ? `, ${running} sending` : ''}.`;
}

/** Starts waiting uploads while fewer than CONCURRENT_UPLOADS run. */
function schedule(): void {
  let running = uploads.filter((u) => RUNNING.has(u.view.state)).length;
  for (const upload of uploads) {
    if (running >= CONCURRENT_UPLOADS) break;
    if (upload.view.state === 'waiting') {
      upload.start();
      running++;
    }
  }
}

async function addFiles(files: FileList | null): Promise<void> {
  for (const file of Array.from(files ?? [])) {
    const id = await fileId(file);
    const same = uploads.find((u) => u.id === id);
    if (same !== undefined && same.view.state !== 'failed') continue;
    if (same !== undefined) {
      same.resume();
      continue;
    }
    const upload = new PageUpload(file, {
      id,
      code,
      onChange,
      onReady: (u) =>
        rememberPending({ id: u.id, name: u.file.name, size: u.file.size, acked: u.view.acked }),
    });
    uploads.push(upload);
    renderUpload(upload);
  }
  renderPending();
  schedule();
}

filesInput.addEventListener('change', () => {
  void addFiles(filesInput.files).finally(() => {
    filesInput.value = '';
  });
});
// Files dropped anywhere on the page are taken (a drop outside the zone would otherwise make the
// browser open the file in place of the page, ending every upload).
document.addEventListener('dragover', (event) => {
  event.preventDefault();
  drop.classList.add('over');
});
document.addEventListener('dragleave', (event) => {
  if (event.relatedTarget === null) drop.classList.remove('over');
});
document.addEventListener('drop', (event) => {
  event.preventDefault();
  drop.classList.remove('over');
  void addFiles(event.dataTransfer?.files ?? null);
});
$<HTMLButtonElement>('refresh').addEventListener('click', () => void refreshReceived());
codeInput.addEventListener('change', () => void refreshReceived());

async function init(): Promise<void> {
  const info = (await (await fetch('/api/info')).json()) as ReceiverInfo;
  $<HTMLElement>('code-row').hidden = !info.codeRequired;
  renderPending();
  await refreshReceived();
  document.body.dataset.ready = 'true';
}

void init().catch(() => {
  status.textContent = 'The receiver does not answer: is it still running?';
});
