import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ToolError, runTool } from '../../main/media/run-process';
import { FFMPEG, FFPROBE } from '../helpers/media-fixtures';

const node = process.execPath;

async function failure(promise: Promise<unknown>): Promise<ToolError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ToolError);
  return err as ToolError;
}

describe('runTool', () => {
  it('returns stdout as bytes and stderr as text', async () => {
    const { stdout, stderr } = await runTool(FFMPEG, ['-v', 'error', '-f', 'lavfi', '-i', 'color=red:size=4x2', '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', '-']);
    expect(stdout).toBeInstanceOf(Buffer);
    expect(stdout.length).toBe(8);
    expect(stderr).toBe('');
  });

  it('passes arguments verbatim, with no shell in between', async () => {
    const tricky = ['$(echo hacked)', '; rm -rf /', "it's \"quoted\"", '*'];
    const { stdout } = await runTool(node, ['-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)))', ...tricky]);
    expect(JSON.parse(stdout.toString())).toEqual(tricky);
  });

  it('names the tool, the exit code and the last lines of stderr when the tool fails', async () => {
    const err = await failure(runTool(FFPROBE, ['-v', 'error', path.join('/nonexistent', 'clip.mp4')]));
    expect(err.failure).toBe('exit');
    expect(err.message).toMatch(/^ffprobe exited with code 1: .*clip\.mp4: No such file or directory/s);
  });

  it('keeps only the last lines of a long stderr', async () => {
    const script = 'for (let i = 1; i <= 100; i++) console.error("line " + i); process.exit(3)';
    const err = await failure(runTool(node, ['-e', script]));
    expect(err.message).toMatch(/exited with code 3: line 93\nline 94[\s\S]*line 100$/);
    expect(err.message).not.toContain('line 92');
  });

  it('says when the program cannot be started', async () => {
    const err = await failure(runTool('/nonexistent/bin/ffmpeg', ['-version']));
    expect(err.failure).toBe('spawn');
    expect(err.message).toMatch(/^ffmpeg could not be started from \/nonexistent\/bin\/ffmpeg: .*ENOENT/);
  });

  it('reports a kill by signal', async () => {
    const err = await failure(runTool(node, ['-e', 'process.kill(process.pid, "SIGTERM")']));
    expect(err.message).toMatch(/was killed by signal SIGTERM/);
  });

  it('stops a tool that runs past its timeout', async () => {
    const started = Date.now();
    const err = await failure(runTool(node, ['-e', 'setTimeout(() => {}, 60000)'], { timeoutMs: 300 }));
    expect(err.failure).toBe('timeout');
    expect(err.message).toMatch(/timed out after 300 ms/);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('stops on abort, with an AbortError', async () => {
    const controller = new AbortController();
    const run = runTool(node, ['-e', 'setTimeout(() => {}, 60000)'], { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    const err = await failure(run);
    expect(err.name).toBe('AbortError');
    expect(err.failure).toBe('abort');
    await expect(runTool(node, ['-e', ''], { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('stops a tool whose output exceeds the limit', async () => {
    const err = await failure(runTool(node, ['-e', 'process.stdout.write(Buffer.alloc(1 << 20))'], { maxOutputBytes: 1000 }));
    expect(err.failure).toBe('output');
    expect(err.message).toMatch(/more than 1000 bytes/);
  });
});
