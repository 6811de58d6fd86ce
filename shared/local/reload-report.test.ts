import { describe, expect, it } from 'vitest';
import type { LocalRoute } from './server';
import { reportReload } from './reload-report';

const route = (path: string, events: string[]): LocalRoute =>
  ({ method: 'POST', path, url: `http://127.0.0.1:3000${path}`, route: { kind: 'non-blocking' }, events }) as LocalRoute;

describe('reportReload', () => {
  it('says when new code serves, when a build fails, and when the code loads again; prints routes and YAML only when they change', () => {
    // Prepare
    const server = { routes: [route('/non-blocking', [])], hookYaml: 'hook:\n  non_blocking_handlers: []\n' };
    const out: string[] = [];
    const err: string[] = [];
    const report = reportReload(
      server,
      (t) => out.push(t),
      (t) => err.push(t),
    );
    const file = 'functions/non-blocking/user.created.ts';

    // Act
    report({ ok: true, changed: true, ms: 12, files: [] }, [file]);
    report({ ok: false, ms: 5, error: 'x.ts:1:1: ERROR: Unexpected ";"' }, [file]);
    report({ ok: true, changed: false, ms: 4, files: [] }, [file]);
    report({ ok: true, changed: false, ms: 4, files: [] }, [file]);
    server.routes = [route('/non-blocking', ['user.created'])];
    server.hookYaml = 'hook:\n  non_blocking_handlers:\n    - events: [user.created]\n';
    report({ ok: true, changed: true, ms: 9, files: [] }, [file, 'shared/x.ts']);

    // Assess
    expect(out).toEqual([
      `[reload] ${file} changed: new code serving (built in 12 ms).\n`,
      `[reload] ${file} changed: the code loads again; it is the version that kept serving.\n`,
      `[reload] 2 files changed: new code serving (built in 9 ms).\nRoutes now:\n  POST http://127.0.0.1:3000/non-blocking  user.created\n\nHook configuration for authgear.yaml:\n\nhook:\n  non_blocking_handlers:\n    - events: [user.created]\n`,
    ]);
    expect(err).toEqual([
      `\n[reload] ${file} changed, but the new code does not load; the previous version keeps serving:\n  x.ts:1:1: ERROR: Unexpected ";"\n\n`,
    ]);
  });
});
