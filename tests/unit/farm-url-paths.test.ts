// Farm URLs (redis://, rediss:// with TLS, passwords never shown) and worker path maps (longest prefix wins, no
// way out of a mapped folder, confinement once any map is given).
import { describe, expect, it } from 'vitest';
import { FarmError, parseFarmUrl, redactFarmUrl } from '../../main/farm/farm-connection';
import { PathMap, PathMapError, parsePathMapping } from '../../main/farm/path-map';

describe('farm URLs', () => {
  it('reads host, port, database, user and password; rediss means TLS', () => {
    const farm = parseFarmUrl('rediss://render:s%40cret@farm.example:6380/2');
    expect(farm.options).toMatchObject({ host: 'farm.example', port: 6380, db: 2, username: 'render', password: 's@cret' });
    expect(farm.options.tls).toEqual({ servername: 'farm.example' });
    expect(farm.redacted).toBe('rediss://render:***@farm.example:6380/2');
    expect(parseFarmUrl('redis://127.0.0.1').options).toMatchObject({ host: '127.0.0.1', port: 6379, db: 0 });
    expect(parseFarmUrl('redis://127.0.0.1').options.tls).toBeUndefined();
  });

  it('refuses what is not a Redis URL, saying what to write', () => {
    expect(() => parseFarmUrl('http://host:6379')).toThrow(FarmError);
    expect(() => parseFarmUrl('http://host:6379')).toThrow(/starts with redis:\/\/ or rediss:\/\//);
    expect(() => parseFarmUrl('host:6379')).toThrow(/redis:\/\/host:6379/);
    expect(() => parseFarmUrl('redis://host:6379/x')).toThrow(/database "x" must be a number/);
  });

  it('never shows a password', () => {
    expect(redactFarmUrl('redis://:hunter2@host:6379')).toBe('redis://:***@host:6379');
    expect(redactFarmUrl('not a url :hunter2@host')).not.toMatch(/hunter2/);
  });
});

describe('worker path maps', () => {
  it('maps by the longest matching prefix, Windows paths of the submitter included', () => {
    const map = new PathMap([parsePathMapping('/Volumes/media=/mnt/media'), parsePathMapping('/Volumes/media/renders=/srv/out'), parsePathMapping('D:\\shots=/mnt/shots')]);
    expect(map.map('/Volumes/media/a/clip.mp4', 'The source')).toBe('/mnt/media/a/clip.mp4');
    expect(map.map('/Volumes/media/renders/job-1', 'The output folder')).toBe('/srv/out/job-1');
    expect(map.map('D:\\shots\\s01\\take.mov', 'The source')).toBe('/mnt/shots/s01/take.mov');
  });

  it('confines a worker with maps to them: outside paths and climbing out are refused', () => {
    const map = new PathMap([parsePathMapping('/Volumes/media=/mnt/media')]);
    expect(() => map.map('/etc/passwd', 'The source')).toThrow(PathMapError);
    expect(() => map.map('/etc/passwd', 'The source')).toThrow(/outside the folders this worker may use \(\/Volumes\/media\)/);
    expect(() => map.map('/Volumes/media/../../etc', 'The output folder')).toThrow(PathMapError);
    expect(() => map.map('/Volumes/mediaX/clip.mp4', 'The source')).toThrow(PathMapError);
  });

  it('without maps, paths are used as they are (a worker on the submitting machine)', () => {
    expect(new PathMap([]).map('/data/clip.mp4', 'The source')).toBe('/data/clip.mp4');
  });

  it('says how to write a mapping', () => {
    expect(() => parsePathMapping('/a')).toThrow(/write FROM=TO/);
    expect(() => parsePathMapping('/a=relative')).toThrow(/TO must be an absolute path/);
  });
});
