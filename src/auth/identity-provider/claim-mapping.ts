import type { IdentityProviderConfig } from './identity-provider.config';
import { IdpSignInRefused } from './idp-refusal';

/** The same shape RegisterUserDto accepts. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MAX_EMAIL = 320;
const MAX_NAME = 255;

export interface MappedIdentity {
  /** Lower-cased: csmcp users are found by their lower-cased email. */
  readonly email: string;
  /** The `name` claim, if any: the display name of a user created at first sign-in. */
  readonly name: string | null;
}

/**
 * The csmcp identity the identity provider's claims name, or a refusal saying why not: the email claim
 * (IDP_EMAIL_CLAIM) must hold an email address; with the standard `email` claim, `email_verified: false`
 * is refused (an unverified address is anyone's claim to it); its domain must be allowed
 * (IDP_ALLOWED_DOMAINS, exact match, no subdomains).
 */
export function identityFromClaims(
  claims: Readonly<Record<string, unknown>>,
  config: Pick<IdentityProviderConfig, 'name' | 'emailClaim' | 'allowedDomains'>,
): MappedIdentity {
  const raw = claims[config.emailClaim];
  const email = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (!email || email.length > MAX_EMAIL || !EMAIL.test(email))
    throw new IdpSignInRefused(
      'NO_EMAIL',
      `${config.name} did not say which email address you signed in with: its "${config.emailClaim}" claim is ${raw === undefined ? 'missing' : 'not an email address'}. Ask your administrator to check which claim csmcp reads (IDP_EMAIL_CLAIM) and the scopes it asks for (IDP_SCOPES).`,
    );
  // Some identity providers send the boolean as a string.
  if (config.emailClaim === 'email' && (claims.email_verified === false || claims.email_verified === 'false'))
    throw new IdpSignInRefused('EMAIL_NOT_VERIFIED', `${config.name} says the email address ${email} is not verified. Verify it there, then sign in again.`, email);
  const domain = email.slice(email.lastIndexOf('@') + 1);
  if (config.allowedDomains && !config.allowedDomains.includes(domain))
    throw new IdpSignInRefused(
      'DOMAIN_NOT_ALLOWED',
      `Accounts of ${domain} may not sign in to csmcp through ${config.name}; allowed: ${config.allowedDomains.join(', ')}. Sign in with another account, or with your csmcp password.`,
      email,
    );
  const name = typeof claims.name === 'string' && claims.name.trim() ? claims.name.trim().slice(0, MAX_NAME) : null;
  return { email, name };
}
