/**
 * The telemetry panel: the `/telemetry` namespace's latest value per MQTT topic, shown only when
 * the server has a feed (without `--mqtt` the namespace does not exist and the panel stays hidden).
 * Each batch is acked once drawn: the server sends the next one then, conflated.
 */
import { io } from 'socket.io-client';
import { TELEMETRY, type TelemetryUpdate } from '../../src/contract.ts';

/** Rows shown at most. */
const MAX_ROWS = 50;

export function showTelemetry(token: string): void {
  const panel = document.getElementById('telemetry') as HTMLElement;
  const rows = document.getElementById('telemetry-rows') as HTMLElement;
  const cells = new Map<string, HTMLElement>();
  const socket = io(`${location.origin}${TELEMETRY.namespace}`, { auth: { token } });
  socket.on('connect_error', (error) => {
    if (/Invalid namespace/.test(error.message)) socket.disconnect(); // no feed on this server
  });
  socket.on(TELEMETRY.event, (batch: TelemetryUpdate[], ack: () => void) => {
    panel.hidden = false;
    for (const { key, value } of Array.isArray(batch) ? batch : []) {
      let cell = cells.get(key);
      if (cell === undefined) {
        if (cells.size >= MAX_ROWS) continue;
        const row = document.createElement('tr');
        const name = document.createElement('td');
        name.textContent = key;
        cell = document.createElement('td');
        row.append(name, cell);
        rows.append(row);
        cells.set(key, cell);
      }
      cell.textContent = JSON.stringify(value);
    }
    ack();
  });
}
