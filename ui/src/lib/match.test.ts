import { describe, expect, it } from 'vitest';
import { match } from './match';

describe('match', () => {
  it('reads parameters', () => {
    expect(match('/chats/:id', '/chats/e_1')).toEqual({ id: 'e_1' });
  });
  it('refuses other paths and lengths', () => {
    expect(match('/chats/:id', '/missed')).toBeNull();
    expect(match('/chats', '/chats/e_1')).toBeNull();
  });
  it('matches a rest with *', () => {
    expect(match('/admin/*', '/admin/channels/1')).toEqual({});
  });
});
