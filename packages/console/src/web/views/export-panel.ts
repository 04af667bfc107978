import { downloadExport, getExport, startExport } from '../api/audit.js';
import { errorText, field, h, select } from '../dom.js';
import type { ExportFormat, ExportJob } from '../lib/api-types.js';
import type { EventFilters } from '../lib/filters.js';

const POLL_MS = 1_000;

function fileName(response: Response, job: ExportJob): string {
  const disposition = response.headers.get('content-disposition') ?? '';
  const match = /filename="?([^";]+)"?/i.exec(disposition);
  return match?.[1] ?? `gatehouse-audit-${job.id}.${job.format}`;
}

const isPending = (job: ExportJob) => job.state === 'queued' || job.state === 'running';

/** Export of what the filters select: start, progress, then a download fetched with the token. */
export function createExportPanel(currentFilters: () => EventFilters) {
  const format = select('format', [
    ['ndjson', 'NDJSON'],
    ['csv', 'CSV'],
  ]);
  const start = h('button', { type: 'button' }, 'Export these events');
  const progress = h('progress', { max: 100, value: 0, hidden: true, 'aria-label': 'Export progress' });
  const status = h('p', { class: 'status', role: 'status' });
  const download = h('button', { type: 'button', class: 'primary', hidden: true }, 'Download the export');
  let timer: ReturnType<typeof setTimeout> | undefined;
  let job: ExportJob | null = null;

  function show(current: ExportJob): void {
    job = current;
    progress.hidden = current.state === 'failed';
    progress.value = current.state === 'completed' ? 100 : Math.max(0, Math.min(100, current.progress));
    const total = current.totalRows === null ? '' : ` of ${current.totalRows}`;
    const rows = `, ${current.rowCount}${total} rows`;
    status.textContent =
      current.state === 'failed'
        ? `Export failed: ${current.error ?? 'unknown error'}`
        : `Export ${current.state} (${Math.round(progress.value)}%${rows})`;
    download.hidden = current.state !== 'completed';
    start.disabled = isPending(current);
  }

  async function poll(id: string): Promise<void> {
    try {
      show(await getExport(id));
      if (job && isPending(job)) timer = setTimeout(() => void poll(id), POLL_MS);
    } catch (error) {
      status.textContent = `Lost track of the export: ${errorText(error)}`;
      start.disabled = false;
    }
  }

  start.addEventListener('click', async () => {
    clearTimeout(timer);
    start.disabled = true;
    download.hidden = true;
    status.textContent = 'Starting the export…';
    try {
      const created = await startExport(currentFilters(), format.value as ExportFormat);
      status.textContent = 'Export queued…';
      await poll(created.id);
    } catch (error) {
      status.textContent = `Could not start the export: ${errorText(error)}`;
      start.disabled = false;
    }
  });

  download.addEventListener('click', async () => {
    if (!job) return;
    try {
      const response = await downloadExport(job.id);
      const url = URL.createObjectURL(await response.blob());
      const link = h('a', { href: url, download: fileName(response, job), class: 'sr-only' }, 'download');
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (error) {
      status.textContent = `Download failed: ${errorText(error)}`;
    }
  });

  const element = h(
    'section',
    { class: 'export', 'aria-label': 'Export' },
    field('Export format', format),
    start,
    progress,
    download,
    status,
  );
  return { element, dispose: () => clearTimeout(timer) };
}
