/**
 * The documentation points at things that exist: every relative Markdown link of README.md and
 * docs/ (and its #anchor, when it names one), and every repository path written in backticks.
 * Files move; a page that names the old place sends a reader nowhere, and nothing else notices.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BLOCKING_EVENT_TYPES, NON_BLOCKING_EVENT_TYPES } from '../shared/core/constants';
import { REPO_ROOT } from './support/paths';

const EVENT_TYPES = new Set<string>([...BLOCKING_EVENT_TYPES, ...NON_BLOCKING_EVENT_TYPES]);

/** Paths a page tells the reader to create: they are not in the template, by design. */
const READER_MADE = new Set(['functions/_lib/']);

/**
 * The user's own folder: the docs name the example handlers, which a user rewrites or deletes, so
 * the docs must not turn their \`npm test\` red when they do.
 */
const USER_OWNED = 'functions/';
const isUserOwned = (path: string): boolean => path.startsWith(USER_OWNED) || EVENT_TYPES.has(path.replace(/(?:\.test)?\.ts$/, ''));

/** Top-level folders that builds and runs create, which a page may name but a checkout lacks. */
const GENERATED = new Set(['node_modules', '.build', 'bench-results', 'cdk.out', '.git']);

const pages = ['README.md', ...readdirSync(join(REPO_ROOT, 'docs')).flatMap((f) => (f.endsWith('.md') ? [`docs/${f}`] : []))];

/** Top-level entries a backticked path may start with. */
const topLevel = new Set(readdirSync(REPO_ROOT).filter((entry) => !GENERATED.has(entry)));

/** Every file name in the repository, for bare names such as `retry.ts`. */
const fileNames = new Set<string>();
(function collect(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (GENERATED.has(entry.name)) continue;
    if (entry.isDirectory()) collect(join(dir, entry.name));
    else fileNames.add(entry.name);
  }
})(REPO_ROOT);

/** The page's text outside fenced code blocks, line by line (fences hold commands and examples, not references). */
function proseLines(text: string): { line: number; text: string }[] {
  let fenced = false;
  return text.split('\n').flatMap((line, index) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return [];
    }
    return fenced ? [] : [{ line: index + 1, text: line }];
  });
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(file: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const { text } of proseLines(readFileSync(file, 'utf8'))) {
    const heading = /^#{1,6}\s+(.*)$/.exec(text);
    if (!heading) continue;
    const base = slug(heading[1] as string);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** Every broken reference of one page, as `page:line: what`. */
function brokenReferences(page: string, text = readFileSync(join(REPO_ROOT, page), 'utf8')): string[] {
  const broken: string[] = [];
  for (const { line, text: prose } of proseLines(text)) {
    const where = `${page}:${line}`;
    for (const [, target] of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target as string)) continue; // https:, mailto:
      const [path, anchor] = (target as string).split('#') as [string, string | undefined];
      const file = path === '' ? join(REPO_ROOT, page) : join(REPO_ROOT, dirname(page), path);
      const fromRoot = relative(REPO_ROOT, file);
      if (isUserOwned(fromRoot)) continue;
      if (!existsSync(file)) broken.push(`${where}: link to missing ${fromRoot}`);
      else if (anchor && file.endsWith('.md') && !anchorsOf(file).has(anchor)) {
        broken.push(`${where}: link to missing heading #${anchor} in ${fromRoot}`);
      }
    }
    // Inline code outside links: a path from the repository root, or a bare .ts / .md file name.
    for (const [, code] of prose.replace(/\[[^\]]*\]\([^)]*\)/g, '').matchAll(/`([^`\s]+)`/g)) {
      const token = (code as string).replace(/[.,:;]$/, '');
      if (/[<>*{}…|]/.test(token)) continue; // a pattern such as functions/blocking/<event>.ts
      if (token.includes('/')) {
        const first = token.split('/')[0] as string;
        if (!topLevel.has(first) || READER_MADE.has(token) || isUserOwned(token) || existsSync(join(REPO_ROOT, token))) continue;
        broken.push(`${where}: \`${token}\` does not exist`);
      } else if (/^[\w-][\w.-]*\.(?:ts|md)$/.test(token) && !fileNames.has(token) && !isUserOwned(token)) {
        broken.push(`${where}: no file is named \`${token}\``);
      }
    }
  }
  return broken;
}

describe('documentation references', () => {
  it('finds the pages it checks', () => {
    expect(pages).toContain('README.md');
    expect(pages).toContain('docs/architecture.md');
    expect(pages.length).toBeGreaterThan(10);
  });

  it("never reports the user's own handler files, which a user may delete", () => {
    // Act
    const broken = brokenReferences(
      'docs/example.md',
      'Edit `functions/blocking/gone.ts`, [see](../functions/non-blocking/user.created.ts), `user.disabled.test.ts`.',
    );

    // Assess
    expect(broken).toEqual([]);
  });

  it('reports a missing file, a missing heading and a stale path, and excuses only the listed pages', () => {
    // Prepare: a page that names a moved module, a missing page, a missing heading, and pages still to come.
    const page = [
      'The retry rule is in `shared/queue/retry.ts`; the pipeline in `shared/core/pipeline/admit.ts`.',
      'See [gone](gone.md), [checks](architecture.md#order-of-checks), [nope](architecture.md#no-such-heading),',
      '[coming](make-it-yours.md) and `docs/exactly-once.md`; bare `retry.ts` exists, `samples-old.ts` does not.',
      '```sh',
      'cat shared/not/checked/in/a/fence.ts `shared/nor/this.ts`',
      '```',
    ].join('\n');

    // Act
    const broken = brokenReferences('docs/example.md', page);

    // Assess
    expect(broken).toEqual([
      'docs/example.md:1: `shared/queue/retry.ts` does not exist',
      'docs/example.md:2: link to missing docs/gone.md',
      'docs/example.md:2: link to missing heading #no-such-heading in docs/architecture.md',
      'docs/example.md:3: no file is named `samples-old.ts`',
    ]);
    expect(slug('`npm start`: the local server')).toBe('npm-start-the-local-server');
  });

  it.each(pages)('%s points only at what exists', (page) => {
    expect(brokenReferences(page)).toEqual([]);
  });
});
