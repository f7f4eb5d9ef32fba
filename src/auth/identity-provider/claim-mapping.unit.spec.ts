import { identityFromClaims } from './claim-mapping';
import { IdpSignInRefused } from './idp-refusal';

const config = { name: 'Corp SSO', emailClaim: 'email', allowedDomains: null };

function refusal(run: () => unknown): { code: string; message: string; email?: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof IdpSignInRefused) return { code: error.code, message: error.message, ...(error.email ? { email: error.email } : {}) };
    throw error;
  }
  throw new Error('not refused');
}

describe('identityFromClaims', () => {
  it('takes the email claim, lower-cased and trimmed, and the name', () => {
    expect(identityFromClaims({ sub: '1', email: ' Ida@Corp.Example ', email_verified: true, name: ' Ida Idp ' }, config)).toEqual({ email: 'ida@corp.example', name: 'Ida Idp' });
    expect(identityFromClaims({ email: 'ida@corp.example' }, config)).toEqual({ email: 'ida@corp.example', name: null });
  });

  it('reads another claim when IDP_EMAIL_CLAIM says so, without email_verified (which is about email)', () => {
    expect(identityFromClaims({ upn: 'ida@corp.example', email_verified: false }, { ...config, emailClaim: 'upn' })).toEqual({ email: 'ida@corp.example', name: null });
  });

  it('refuses a missing or malformed email claim (NO_EMAIL), naming the claim', () => {
    expect(refusal(() => identityFromClaims({ sub: '1' }, config))).toEqual({
      code: 'NO_EMAIL',
      message:
        'Corp SSO did not say which email address you signed in with: its "email" claim is missing. Ask your administrator to check which claim csmcp reads (IDP_EMAIL_CLAIM) and the scopes it asks for (IDP_SCOPES).',
    });
    expect(refusal(() => identityFromClaims({ preferred_username: 'ida' }, { ...config, emailClaim: 'preferred_username' })).message).toContain(
      'its "preferred_username" claim is not an email address',
    );
    expect(refusal(() => identityFromClaims({ email: ['ida@corp.example'] }, config)).code).toBe('NO_EMAIL');
  });

  it('refuses an unverified email (EMAIL_NOT_VERIFIED), also when the boolean comes as a string', () => {
    for (const verified of [false, 'false'])
      expect(refusal(() => identityFromClaims({ email: 'una@corp.example', email_verified: verified }, config))).toEqual({
        code: 'EMAIL_NOT_VERIFIED',
        message: 'Corp SSO says the email address una@corp.example is not verified. Verify it there, then sign in again.',
        email: 'una@corp.example',
      });
  });

  it('allows only the listed domains, exactly (no subdomains)', () => {
    const limited = { ...config, allowedDomains: ['corp.example', 'corp.co.uk'] };
    expect(identityFromClaims({ email: 'ida@CORP.example' }, limited).email).toBe('ida@corp.example');
    expect(refusal(() => identityFromClaims({ email: 'pat@partner.example' }, limited))).toEqual({
      code: 'DOMAIN_NOT_ALLOWED',
      message: 'Accounts of partner.example may not sign in to csmcp through Corp SSO; allowed: corp.example, corp.co.uk. Sign in with another account, or with your csmcp password.',
      email: 'pat@partner.example',
    });
    expect(refusal(() => identityFromClaims({ email: 'sam@eu.corp.example' }, limited)).code).toBe('DOMAIN_NOT_ALLOWED');
  });
});
