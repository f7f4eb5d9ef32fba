import { DomainError } from '../../shared/domain-error';
import { describeValue, optionalText } from '../../shared/validation';

/**
 * Guards the reference-data deciders need beyond src/customer-success/shared/validation.ts. Same
 * contract: the normalised value, or a VALIDATION DomainError naming the field and what is allowed.
 */

function invalid(field: string, message: string): DomainError {
  return new DomainError('VALIDATION', `${field} ${message}`, { field });
}

/** A whole number from 0 to `max`, or null. */
export function optionalCount(field: string, value: unknown, max = 10_000_000): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max)
    throw invalid(field, `must be a whole number from 0 to ${max}; got ${describeValue(value)}`);
  return value;
}

/** Money: a finite amount from 0 up, at most two decimals kept. Null or absent means 0. */
export function amount(field: string, value: unknown): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1e15)
    throw invalid(field, `must be an amount from 0 to 1000000000000000; got ${describeValue(value)}`);
  return Math.round(value * 100) / 100;
}

/** A score from 0 to 100 (decimals allowed). */
export function score(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 100)
    throw invalid(field, `must be a number from 0 to 100; got ${describeValue(value)}`);
  return value;
}

// Deliberately loose (RFC 5322 allows far more than any CRM exports): one @, a dot in the domain, no spaces.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** An email address, lower-cased (addresses are compared case-insensitively), or null. */
export function optionalEmail(field: string, value: unknown): string | null {
  const text = optionalText(field, value, 320);
  if (text === null) return null;
  if (!EMAIL.test(text)) throw invalid(field, `must be an email address like anna@example.com; got ${describeValue(value)}`);
  return text.toLowerCase();
}

export function requiredEmail(field: string, value: unknown): string {
  const email = optionalEmail(field, value);
  if (email === null) throw invalid(field, `is required and must be an email address like anna@example.com; got ${describeValue(value)}`);
  return email;
}

/** An optional yes/no flag where null or absent means no. */
export function flag(field: string, value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw invalid(field, `must be true or false; got ${describeValue(value)}`);
  return value;
}
