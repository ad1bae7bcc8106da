/**
 * What a connection holds, from two heap snapshots of one server (bench/scale.ts writes them with
 * BENCH_SCALE_SNAPSHOTS=DIR, at its first and last reading): the growth of V8's self sizes, by
 * kind of object, divided by the connections opened between them. Compiled code, and the native
 * memory V8 only reports (each socket's TCPSocketWrap), are listed but left out of the total.
 *   pnpm exec tsx bench/heap-diff.ts DIR/managed-run1-before.heapsnapshot DIR/managed-run1-after.heapsnapshot 8000
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Count and self size of every kind of object (type and constructor name). */
function kinds(path: string): Map<string, [count: number, bytes: number]> {
  const snap = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const found = new Map<string, [number, number]>();
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + (typeAt as number)] as number] as string;
    let name = snap.strings[snap.nodes[i + (nameAt as number)] as number] as string;
    if (type.endsWith('string')) name = '(string)';
    else if (type === 'number') name = '(heap number)';
    const key = `${type}: ${name.slice(0, 50)}`;
    const entry = found.get(key) ?? [0, 0];
    entry[0]++;
    entry[1] += snap.nodes[i + (sizeAt as number)] as number;
    found.set(key, entry);
  }
  return found;
}

const [beforePath, afterPath, count] = process.argv.slice(2);
if (beforePath === undefined || afterPath === undefined || !(Number(count) > 0)) {
  throw new Error('usage: heap-diff.ts BEFORE.heapsnapshot AFTER.heapsnapshot CONNECTIONS');
}
const n = Number(count);
const before = kinds(beforePath);
const rows = [...kinds(afterPath)].map(([key, [c, bytes]]) => {
  const [c0, bytes0] = before.get(key) ?? [0, 0];
  return { key, count: (c - c0) / n, bytes: (bytes - bytes0) / n };
});
rows.sort((a, b) => b.bytes - a.bytes);
const leftOut = /^(code|synthetic|native): /;
const total = rows.reduce((sum, r) => (leftOut.test(r.key) ? sum : sum + r.bytes), 0);
console.log(`heap objects per connection (no code, no native): ${Math.round(total)} bytes`);
for (const r of rows.filter((row) => Math.abs(row.bytes) >= 8)) {
  console.log(`${r.bytes.toFixed(0).padStart(6)} B ${r.count.toFixed(2).padStart(6)}×  ${r.key}`);
}
