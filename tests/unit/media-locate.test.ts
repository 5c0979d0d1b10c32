import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../main/common/api';
import { describeFfmpeg, locateFfmpeg, unpackedAsarPath } from '../../main/media/ffmpeg-locate';
import { makeTempDir } from '../helpers/media-fixtures';

const exe = process.platform === 'win32' ? '.exe' : '';
const tmp = makeTempDir('upframe-locate-');
afterAll(() => tmp.cleanup());

/** A folder holding stand-in programs (files with the execute bit) named as given. */
function folderWith(name: string, programs: string[], mode = 0o755): string {
  const dir = path.join(tmp.dir, name);
  mkdirSync(dir, { recursive: true });
  for (const program of programs) {
    const file = path.join(dir, program + exe);
    writeFileSync(file, '#!/bin/sh\nexit 0\n');
    chmodSync(file, mode);
  }
  return dir;
}

function missingError(env: NodeJS.ProcessEnv): ApiError {
  try {
    locateFfmpeg(env, null);
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error('locateFfmpeg found programs in an environment that has none');
}

describe('locateFfmpeg', () => {
  it('searches PATH entries in order, skipping entries without the programs', () => {
    const empty = folderWith('path-empty', []);
    const first = folderWith('path-first', ['ffmpeg', 'ffprobe']);
    const second = folderWith('path-second', ['ffmpeg', 'ffprobe']);
    const found = locateFfmpeg({ PATH: [empty, first, second].join(path.delimiter) }, null);
    expect(found).toEqual({ ffmpeg: path.join(first, 'ffmpeg' + exe), ffprobe: path.join(first, 'ffprobe' + exe), source: 'path' });
  });

  it.skipIf(process.platform === 'win32')('ignores files without the execute permission', () => {
    const plain = folderWith('path-not-executable', ['ffmpeg', 'ffprobe'], 0o644);
    const real = folderWith('path-executable', ['ffmpeg', 'ffprobe']);
    const found = locateFfmpeg({ PATH: [plain, real].join(path.delimiter) }, null);
    expect(path.dirname(found.ffmpeg)).toBe(real);
    expect(path.dirname(found.ffprobe)).toBe(real);
  });

  it('prefers FFMPEG_PATH and FFPROBE_PATH over PATH', () => {
    const onPath = folderWith('env-path', ['ffmpeg', 'ffprobe']);
    const custom = folderWith('env-custom', ['my-ffmpeg', 'my-ffprobe']);
    const found = locateFfmpeg(
      { PATH: onPath, FFMPEG_PATH: path.join(custom, 'my-ffmpeg' + exe), FFPROBE_PATH: path.join(custom, 'my-ffprobe' + exe) },
      null,
    );
    expect(found).toEqual({ ffmpeg: path.join(custom, 'my-ffmpeg' + exe), ffprobe: path.join(custom, 'my-ffprobe' + exe), source: 'env' });
  });

  it('takes ffprobe from beside FFMPEG_PATH before PATH', () => {
    const onPath = folderWith('sibling-path', ['ffmpeg', 'ffprobe']);
    const custom = folderWith('sibling-custom', ['ffmpeg', 'ffprobe']);
    const found = locateFfmpeg({ PATH: onPath, FFMPEG_PATH: path.join(custom, 'ffmpeg' + exe) }, null);
    expect(found.ffprobe).toBe(path.join(custom, 'ffprobe' + exe));
    expect(found.source).toBe('env');
  });

  it('falls back to PATH for ffprobe when only ffmpeg is configured', () => {
    const onPath = folderWith('probe-only-path', ['ffprobe']);
    const custom = folderWith('ffmpeg-only-custom', ['ffmpeg']);
    const found = locateFfmpeg({ PATH: onPath, FFMPEG_PATH: path.join(custom, 'ffmpeg' + exe) }, null);
    expect(found).toEqual({ ffmpeg: path.join(custom, 'ffmpeg' + exe), ffprobe: path.join(onPath, 'ffprobe' + exe), source: 'env' });
  });

  it('prefers the ffmpeg-static binary, with ffprobe from FFPROBE_PATH or PATH (it ships none)', () => {
    const bundled = folderWith('static', ['ffmpeg']);
    const onPath = folderWith('static-path', ['ffmpeg', 'ffprobe']);
    const other = folderWith('static-env', ['ffmpeg', 'ffprobe']);
    const found = locateFfmpeg({ PATH: onPath, FFMPEG_PATH: path.join(other, 'ffmpeg' + exe) }, path.join(bundled, 'ffmpeg' + exe));
    expect(found).toEqual({ ffmpeg: path.join(bundled, 'ffmpeg' + exe), ffprobe: path.join(onPath, 'ffprobe' + exe), source: 'ffmpeg-static' });
    const withProbe = locateFfmpeg({ PATH: onPath, FFPROBE_PATH: path.join(other, 'ffprobe' + exe) }, path.join(bundled, 'ffmpeg' + exe));
    expect(withProbe.ffprobe).toBe(path.join(other, 'ffprobe' + exe));
  });

  it('skips an ffmpeg-static path whose binary was never downloaded', () => {
    const onPath = folderWith('static-missing-path', ['ffmpeg', 'ffprobe']);
    const found = locateFfmpeg({ PATH: onPath }, path.join(tmp.dir, 'no-such-dir', 'ffmpeg'));
    expect(found.source).toBe('path');
  });

  it('caches per environment and re-checks for a different one', () => {
    const a = folderWith('cache-a', ['ffmpeg', 'ffprobe']);
    const b = folderWith('cache-b', ['ffmpeg', 'ffprobe']);
    const first = locateFfmpeg({ PATH: a }, null);
    expect(locateFfmpeg({ PATH: a }, null)).toBe(first);
    expect(path.dirname(locateFfmpeg({ PATH: b }, null).ffmpeg)).toBe(b);
  });

  it('explains how to install ffmpeg when nothing can be found', () => {
    const empty = folderWith('nothing', []);
    const err = missingError({
      PATH: empty,
      FFMPEG_PATH: path.join(empty, 'missing-ffmpeg'),
      FFPROBE_PATH: path.join(empty, 'missing-ffprobe'),
    });
    expect(err.code).toBe('FFMPEG_MISSING');
    expect(err.message).toContain('ffmpeg and ffprobe');
    expect(err.message).toContain('sudo apt-get install ffmpeg');
    expect(err.message).toContain('brew install ffmpeg');
    expect(err.message).toContain('winget install Gyan.FFmpeg');
    expect(err.message).toContain('set FFMPEG_PATH and FFPROBE_PATH');
    expect(err.message).toContain(`FFMPEG_PATH=${path.join(empty, 'missing-ffmpeg')} (not an executable file)`);
  });

  it('names ffprobe alone when only ffprobe is missing', () => {
    const onlyFfmpeg = folderWith('only-ffmpeg', ['ffmpeg']);
    const err = missingError({ PATH: onlyFfmpeg });
    expect(err.code).toBe('FFMPEG_MISSING');
    expect(err.message).toMatch(/^Upframe needs ffprobe,/);
  });
});

describe('describeFfmpeg', () => {
  it('reports the programs this machine has (system ffmpeg on PATH)', () => {
    const described = describeFfmpeg();
    expect(described.error).toBeNull();
    expect(described.ffmpegPath).toMatch(/ffmpeg(\.exe)?$/);
    expect(described.ffprobePath).toMatch(/ffprobe(\.exe)?$/);
  });
});

describe('unpackedAsarPath', () => {
  it('points inside app.asar.unpacked, once', () => {
    const packed = '/opt/Upframe/resources/app.asar/node_modules/ffmpeg-static/ffmpeg';
    const unpacked = '/opt/Upframe/resources/app.asar.unpacked/node_modules/ffmpeg-static/ffmpeg';
    expect(unpackedAsarPath(packed)).toBe(unpacked);
    expect(unpackedAsarPath(unpacked)).toBe(unpacked);
    expect(unpackedAsarPath('C:\\Upframe\\resources\\app.asar\\node_modules\\ffmpeg-static\\ffmpeg.exe')).toBe(
      'C:\\Upframe\\resources\\app.asar.unpacked\\node_modules\\ffmpeg-static\\ffmpeg.exe',
    );
    expect(unpackedAsarPath('/home/me/upframe/node_modules/ffmpeg-static/ffmpeg')).toBe('/home/me/upframe/node_modules/ffmpeg-static/ffmpeg');
  });
});
