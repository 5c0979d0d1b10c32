import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RecentProjects } from '../../main/store/recent-projects';
import { makeTempDir } from '../helpers/media-fixtures';

const temp = makeTempDir('upframe-store-recent-');
afterAll(temp.cleanup);
let n = 0;
const listFile = () => path.join(temp.dir, `user-data-${++n}`, 'recent-projects.json');

describe('RecentProjects', () => {
  it('starts empty when there is no file, and lists newest first with an exists flag', () => {
    const file = listFile();
    const recent = new RecentProjects(file);
    expect(recent.list()).toEqual([]);
    const existing = path.join(temp.dir, 'here.upframe');
    fs.writeFileSync(existing, '');
    recent.touch(path.join(temp.dir, 'gone.upframe'), 'Gone');
    recent.touch(existing, 'Here');
    const list = recent.list();
    expect(list.map((p) => [p.name, p.exists])).toEqual([
      ['Here', true],
      ['Gone', false],
    ]);
    expect(list[0].openedAt).toBeGreaterThanOrEqual(list[1].openedAt);
    expect(new RecentProjects(file).list()).toEqual(list);
  });

  it('moves a re-opened project to the top without duplicating it, and keeps at most 20', () => {
    const recent = new RecentProjects(listFile());
    for (let i = 0; i < 25; i++) recent.touch(path.join(temp.dir, `p${i}.upframe`), `P${i}`);
    recent.touch(path.join(temp.dir, 'sub', '..', 'p10.upframe'), 'P10 renamed');
    const names = recent.list().map((p) => p.name);
    expect(names).toHaveLength(20);
    expect(names[0]).toBe('P10 renamed');
    expect(names.filter((name) => name.startsWith('P10'))).toHaveLength(1);
    expect(names).not.toContain('P0');
  });

  it('removes a project and writes atomically (no temp file left)', () => {
    const file = listFile();
    const recent = new RecentProjects(file);
    recent.touch('/projects/a.upframe', 'A');
    recent.touch('/projects/b.upframe', 'B');
    recent.remove('/projects/a.upframe');
    expect(new RecentProjects(file).list().map((p) => p.path)).toEqual([path.resolve('/projects/b.upframe')]);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['recent-projects.json']);
  });

  it('sets a corrupt list aside, logs why, and starts empty', () => {
    for (const content of ['{ not json', JSON.stringify({ version: 1, projects: [{ path: 3 }] })]) {
      const file = listFile();
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
      const logged: string[] = [];
      const recent = new RecentProjects(file, (m) => logged.push(m));
      expect(recent.list()).toEqual([]);
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatch(/unreadable .*moved it to .*\.corrupt-\d+/);
      const aside = fs.readdirSync(path.dirname(file)).filter((name) => name.includes('.corrupt-'));
      expect(aside).toHaveLength(1);
      expect(fs.readFileSync(path.join(path.dirname(file), aside[0]), 'utf8')).toBe(content);
      recent.touch('/projects/new.upframe', 'New');
      expect(new RecentProjects(file).list().map((p) => p.name)).toEqual(['New']);
    }
  });
});
