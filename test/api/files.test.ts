import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { afterEach, describe, expect, it } from 'vitest';
import { DistillApiError, DistillClient } from '../../src/client/index.js';
import type { ResultView, SubmitResponse } from '../../src/client/types.js';
import { startApp } from '../helpers/app-server.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function start(env: Record<string, string> = {}): Promise<Awaited<ReturnType<typeof startApp>>> {
  const started = await startApp({ DISTILL_EXTRACT_THREADS: '1', ...env });
  closers.push(started.close);
  return started;
}

async function makePdf(sentence: string): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  pdf.setTitle('Uploaded report');
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  pdf.addPage([595, 842]).drawText(sentence, { x: 50, y: 780, size: 12, font });
  return pdf.save();
}

async function resultsOf(client: DistillClient, jobId: string): Promise<ResultView[]> {
  const all: ResultView[] = [];
  for await (const result of client.results(jobId)) all.push(result);
  return all;
}

describe('POST /v1/files', () => {
  it('extracts an uploaded PDF into a completed one-item job whose results hold the document', async () => {
    const { url } = await start();
    const client = new DistillClient({ baseUrl: url });
    const submitted = await client.uploadFile(await makePdf('The uploaded file talks about lighthouses.'), {
      fileName: 'report.pdf',
      formats: ['markdown', 'text'],
    });
    expect(submitted.job).toMatchObject({ status: 'completed', total: 1, counts: { succeeded: 1 } });
    expect(submitted.submission).toMatchObject({ accepted: 1 });
    const [result] = await resultsOf(client, submitted.job.id);
    expect(result).toMatchObject({ mimeType: 'application/pdf', title: 'Uploaded report' });
    expect(result?.text).toContain('The uploaded file talks about lighthouses.');
    expect(result?.url).toMatch(/^https:\/\/upload\.distill\.invalid\/[0-9a-f]{32}\/report\.pdf$/);
  });

  it('takes the raw body with its Content-Type, and a JSON file stays a file (not a request body)', async () => {
    const { url } = await start();
    const response = await fetch(`${url}/v1/files?name=data.json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ city: 'Lisbon', population: 545923 }),
    });
    expect(response.status).toBe(202);
    const body = (await response.json()) as SubmitResponse;
    const [result] = await resultsOf(new DistillClient({ baseUrl: url }), body.job.id);
    expect(result).toMatchObject({ mimeType: 'application/json', extractor: 'json' });
    expect(result?.text).toContain('Lisbon');
  });

  it('refuses a file over DISTILL_MAX_UPLOAD_BYTES with 413 file_too_large, raw or multipart', async () => {
    const { url } = await start({ DISTILL_MAX_UPLOAD_BYTES: '2048' });
    const big = new Uint8Array(64 * 1024).fill(0x61);
    const raw = await fetch(`${url}/v1/files`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: big,
    });
    expect(raw.status).toBe(413);
    expect(raw.headers.get('content-type')).toContain('application/problem+json');
    expect(await raw.json()).toMatchObject({ code: 'file_too_large', limit: 2048 });
    const error = await new DistillClient({ baseUrl: url })
      .uploadFile(big, { fileName: 'big.txt', contentType: 'text/plain' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DistillApiError);
    expect(error).toMatchObject({ status: 413, code: 'file_too_large' });
  });

  it('answers 422 with the extraction code for a file it cannot read, and keeps the failed item in its job', async () => {
    const { app, url } = await start();
    const binary = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256);
    const client = new DistillClient({ baseUrl: url });
    const error = await client.uploadFile(binary, { fileName: 'blob.bin' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 422, code: 'unsupported_content_type' });
    const problem = (error as DistillApiError).problem as unknown as {
      detail: string;
      jobId: string;
      links: { job: string };
    };
    expect(problem.detail).toContain('blob.bin');
    // The upload is a job like any other: its one item failed with the same code.
    expect(problem.links.job).toBe(`/v1/jobs/${problem.jobId}`);
    const job = await client.getJob(problem.jobId);
    expect(job).toMatchObject({ status: 'completed', total: 1, counts: { failed: 1, succeeded: 0 } });
    const items = (await (await fetch(`${url}/v1/jobs/${problem.jobId}/items`)).json()) as {
      items: Array<{ state: string; error: { code: string } | null; url: string }>;
    };
    expect(items.items).toMatchObject([{ state: 'failed', error: { code: 'unsupported_content_type' } }]);
    expect(items.items[0]!.url).toMatch(/^https:\/\/upload\.distill\.invalid\/[0-9a-f]{32}\/blob\.bin$/);
    const events = (await app.repository.listEvents({ jobId: problem.jobId, afterId: 0, limit: 20 })).map(
      (e) => e.type,
    );
    expect(events).toEqual(expect.arrayContaining(['job.created', 'item.failed', 'job.completed']));
    expect(await resultsOf(client, problem.jobId)).toHaveLength(0);
    // Its bytes are not kept: retrying the failed item would fetch the upload's made-up URL.
    const retry = await fetch(`${url}/v1/jobs/${problem.jobId}/retry`, { method: 'POST' });
    expect(retry.status).toBe(409);
    expect(await retry.json()).toMatchObject({ code: 'upload_not_retryable' });
    expect(await client.getJob(problem.jobId)).toMatchObject({
      status: 'completed',
      counts: { failed: 1, queued: 0 },
    });
  });

  it('refuses an empty body and a multipart body without a file with 400', async () => {
    const { url } = await start();
    const empty = await fetch(`${url}/v1/files`, {
      method: 'POST',
      headers: { 'content-type': 'application/pdf' },
      body: new Uint8Array(0),
    });
    expect(empty.status).toBe(400);
    const form = new FormData();
    form.append('note', 'no file here');
    const noFile = await fetch(`${url}/v1/files`, { method: 'POST', body: form });
    expect(noFile.status).toBe(400);
    expect(await noFile.json()).toMatchObject({ code: 'validation_failed' });
  });

  it('reads an uploaded scan through OCR with the languages asked, and refuses a malformed language with 400', async () => {
    const { url } = await start();
    const dir = mkdtempSync(join(tmpdir(), 'distill-upload-scan-'));
    writeFileSync(join(dir, 'source.pdf'), await makePdf('Uploaded scans become searchable text'));
    execFileSync('pdftoppm', [
      '-r',
      '200',
      '-gray',
      '-png',
      '-singlefile',
      join(dir, 'source.pdf'),
      join(dir, 'page'),
    ]);
    const png = readFileSync(join(dir, 'page.png'));
    rmSync(dir, { recursive: true, force: true });
    // A scanner's PDF: the page is an image, with no text layer.
    const pdf = await PDFDocument.create();
    pdf.addPage([595, 842]).drawImage(await pdf.embedPng(png), { x: 0, y: 0, width: 595, height: 842 });
    const client = new DistillClient({ baseUrl: url });
    const submitted = await client.uploadFile(await pdf.save(), {
      fileName: 'scan.pdf',
      ocrLanguages: ['eng'],
    });
    expect(submitted.job.options).toMatchObject({ ocrLanguages: ['eng'] });
    const [result] = await resultsOf(client, submitted.job.id);
    expect(result?.text?.replace(/\s+/g, ' ')).toContain('Uploaded scans become searchable text');
    expect(result?.metadata).toMatchObject({ ocrPages: '1' });
    const bad = await fetch(`${url}/v1/files?ocrLanguages=English`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: png,
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'validation_failed' });
  });

  it('needs a key once keys exist, and keeps the upload to its tenant', async () => {
    const { app, url } = await start();
    const acme = (await app.apiKeys.create({ tenant: 'acme' })).secret;
    const globex = (await app.apiKeys.create({ tenant: 'globex' })).secret;
    const pdf = await makePdf('Only acme may read this.');
    const anonymous = await fetch(`${url}/v1/files`, {
      method: 'POST',
      headers: { 'content-type': 'application/pdf' },
      body: Buffer.from(pdf),
    });
    expect(anonymous.status).toBe(401);
    const submitted = await new DistillClient({ baseUrl: url, apiKey: acme }).uploadFile(pdf, {
      fileName: 'secret.pdf',
    });
    const [result] = await resultsOf(new DistillClient({ baseUrl: url, apiKey: acme }), submitted.job.id);
    expect(result?.text).toContain('Only acme may read this.');
    const other = await new DistillClient({ baseUrl: url, apiKey: globex })
      .getJob(submitted.job.id)
      .catch((e: unknown) => e);
    expect(other).toMatchObject({ status: 404, code: 'job_not_found' });
  });
});
