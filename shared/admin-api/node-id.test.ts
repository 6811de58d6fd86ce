import { describe, expect, it } from 'vitest';
import {
  NODE_TYPES,
  groupNodeId,
  idFromNodeId,
  nodeId,
  parseNodeId,
  roleIdFromNodeId,
  sessionNodeId,
  toUserNodeId,
  userIdFromNodeId,
  userNodeId,
} from './node-id';

const USER_ID = '5a2f4e7c-9b1d-4c3e-8f6a-0d2b7e9c1a34';

describe('Admin API node ids', () => {
  it('encode <type>:<id> as base64url without padding', () => {
    // Act
    const id = userNodeId(USER_ID);

    // Assess
    expect(id).toBe(Buffer.from(`User:${USER_ID}`).toString('base64url'));
    expect(id).not.toMatch(/[=+/]/);
    expect(Buffer.from(id, 'base64url').toString()).toBe(`User:${USER_ID}`);
    expect(groupNodeId('g1')).toBe('R3JvdXA6ZzE');
  });

  it('decode back to type and id, for every node type, with ids that contain colons and non-ASCII', () => {
    for (const type of NODE_TYPES) {
      for (const raw of [USER_ID, 'a:b:c', 'żółw-🐢']) {
        // Act
        const parsed = parseNodeId(nodeId(type, raw));

        // Assess
        expect(parsed).toEqual({ type, id: raw });
      }
    }
  });

  it('accept the padded standard base64 that older Authgear versions wrote', () => {
    // Prepare
    const padded = Buffer.from('Session:s?>').toString('base64');
    const slashed = Buffer.from('Session:x>>?').toString('base64');

    // Act + Assess
    expect(padded).toMatch(/=$/);
    expect(slashed).toContain('/');
    expect(parseNodeId(padded)).toEqual({ type: 'Session', id: 's?>' });
    expect(parseNodeId(slashed)).toEqual({ type: 'Session', id: 'x>>?' });
    expect(parseNodeId(sessionNodeId('x>>?'))).toEqual({ type: 'Session', id: 'x>>?' });
  });

  it('refuse what is not a node id, and a node id of another type', () => {
    // Assess
    for (const bad of [
      '',
      'not a node id',
      USER_ID,
      Buffer.from('nocolon').toString('base64url'),
      Buffer.from(':x').toString('base64url'),
    ]) {
      expect(parseNodeId(bad), bad).toBeUndefined();
    }
    expect(() => userIdFromNodeId(groupNodeId('g1'))).toThrow(/is not a User node id/);
    expect(() => roleIdFromNodeId('garbage')).toThrow(TypeError);
    expect(() => nodeId('User', '')).toThrow(TypeError);
    expect(idFromNodeId('Group', groupNodeId('vip'))).toBe('vip');
  });

  it('take a plain user id or a user node id where a user is named', () => {
    // Assess
    expect(toUserNodeId(USER_ID)).toBe(userNodeId(USER_ID));
    expect(toUserNodeId(userNodeId(USER_ID))).toBe(userNodeId(USER_ID));
    expect(userIdFromNodeId(toUserNodeId(USER_ID))).toBe(USER_ID);
  });
});
