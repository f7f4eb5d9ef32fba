import { AdminApiError } from './admin-api-error';
import { compareKeys, encodeCursor, pageOf, pageRequest } from './pagination';

describe('admin API pagination', () => {
  const items = ['b', 'a', 'd', 'c', 'e'].map((id) => ({ id }));
  const page = (query: Record<string, unknown>) => pageOf(items, (i) => [i.id], pageRequest(query, 'things'), 'things', (i) => i.id);

  it('walks the list in key order, a page at a time, to a last page without a cursor', () => {
    const first = page({ limit: '2' });
    expect(first.items).toEqual(['a', 'b']);
    const second = page({ limit: '2', cursor: first.next_cursor });
    expect(second.items).toEqual(['c', 'd']);
    expect(page({ limit: '2', cursor: second.next_cursor })).toEqual({ items: ['e'], next_cursor: null });
    expect(page({})).toEqual({ items: ['a', 'b', 'c', 'd', 'e'], next_cursor: null });
  });

  it('continues after the last key seen, even when that item is gone', () => {
    const cursor = encodeCursor('things', ['bb']);
    expect(page({ cursor }).items).toEqual(['c', 'd', 'e']);
  });

  const CURSOR_REFUSED = 'cursor is not a cursor of this list: pass the next_cursor of the previous page of things as it is, or leave it out for the first page';
  it.each([
    [{ limit: '0' }, 'VALIDATION', 'limit must be a whole number from 1 to 200; got "0"'],
    [{ limit: '201' }, 'VALIDATION', 'limit must be a whole number from 1 to 200; got "201"'],
    [{ limit: '2.5' }, 'VALIDATION', 'limit must be a whole number from 1 to 200; got "2.5"'],
    [{ limit: ['1', '2'] }, 'VALIDATION', 'limit must be a whole number from 1 to 200; got ["1","2"]'],
    [{ cursor: encodeCursor('others', ['a']) }, 'INVALID_CURSOR', CURSOR_REFUSED],
    [{ cursor: 'not json!' }, 'INVALID_CURSOR', CURSOR_REFUSED],
    [{ cursor: Buffer.from('{"l":"things","k":[{}]}').toString('base64url') }, 'INVALID_CURSOR', CURSOR_REFUSED],
    [{ sort: 'name' }, 'UNKNOWN_FIELD', '"sort" is not a query parameter of this list; the parameters are limit and cursor'],
  ])('refuses %j', (query, code, message) => {
    let refused: unknown;
    try {
      pageRequest(query, 'things');
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(AdminApiError);
    expect(refused).toMatchObject({ status: 400, code, message });
  });

  it('orders keys value by value, numbers as numbers, strings by code unit', () => {
    expect(compareKeys([2, 'b'], [10, 'a'])).toBe(-1);
    expect(compareKeys(['B'], ['a'])).toBe(-1);
    expect(compareKeys(['a', 'x'], ['a', 'x'])).toBe(0);
    expect(compareKeys(['a'], ['a', 'x'])).toBe(-1);
  });
});
