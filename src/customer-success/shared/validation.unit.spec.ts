import { DomainError } from './domain-error';
import { calendarDate, commandNow, dateTime, parseDateTime } from './validation';

describe('date and date-time guards', () => {
  it.each([
    ['2025-03-05T15:00:00Z', '2025-03-05T15:00:00.000Z'],
    ['2025-03-05T15:00Z', '2025-03-05T15:00:00.000Z'],
    ['2025-03-05T15:00:00.5Z', '2025-03-05T15:00:00.500Z'],
    ['2025-03-05T15:00:00.123456789Z', '2025-03-05T15:00:00.123Z'],
    ['2025-03-05T20:30:00+05:30', '2025-03-05T15:00:00.000Z'],
    ['2025-03-04T23:00:00-16:00', '2025-03-05T15:00:00.000Z'],
    ['2025-01-01T00:30:00+01:00', '2024-12-31T23:30:00.000Z'],
  ])('normalises %s to %s', (input, expected) => {
    expect(dateTime('occurredAt', input)).toBe(expected);
  });

  it.each(['2025-03-05 15:00:00Z', '2025-03-05T15:00:60Z', '2025-03-05T15:00:00+24:00', '2025-03-05T15:00:00+0100', 'yesterday', ''])(
    'rejects %j',
    (input) => {
      expect(parseDateTime(input)).toBeNull();
    },
  );

  it('rejects a date-time before 1900', () => {
    expect(() => dateTime('occurredAt', '1899-12-31T23:00:00Z')).toThrow(
      new DomainError('VALIDATION', 'occurredAt must be in the year 1900 or later; got "1899-12-31T23:00:00Z"'),
    );
  });

  it('accepts calendar dates, including 29 February of leap years', () => {
    expect(calendarDate('dueDate', '2024-02-29')).toBe('2024-02-29');
    expect(calendarDate('dueDate', '2000-02-29')).toBe('2000-02-29');
    expect(() => calendarDate('dueDate', '1900-02-29')).toThrow(DomainError);
    expect(() => calendarDate('dueDate', 20250101)).toThrow(
      'dueDate must be a calendar date written YYYY-MM-DD, for example 2025-03-31; got 20250101',
    );
  });

  it('reads the command clock', () => {
    expect(commandNow({ now: '2025-03-05T16:30:00Z' })).toEqual({ iso: '2025-03-05T16:30:00.000Z', ms: Date.UTC(2025, 2, 5, 16, 30) });
    expect(() => commandNow(undefined)).toThrow(expect.objectContaining({ code: 'VALIDATION', field: 'metadata.now' }));
  });
});
