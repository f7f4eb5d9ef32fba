import { adminConsoleRefreshTtl, ADMIN_CONSOLE_SESSION_SECONDS } from '../auth/oauth-server/admin-console-client';
import { consolePaths } from './console-paths';
import { CONSOLE_CSP, consolePage, type ConsoleSettings } from './console-page';

const settings = (base: string): ConsoleSettings => ({
  base,
  signIn: 'built-in',
  clientId: 'csmcp-admin-console',
  scope: 'admin',
  resource: `${base}/mcp`,
  redirectUri: `${base}/admin/callback`,
});

describe('the console page', () => {
  it('hands the settings over as data attributes and loads only its own two files', () => {
    const html = consolePage(settings('https://csmcp.example.com'), { 'console.js': 'abc', 'console.css': 'def' });
    expect(html).toContain(
      '<div id="app" data-base="https://csmcp.example.com" data-sign-in="built-in" data-client-id="csmcp-admin-console" data-scope="admin" data-resource="https://csmcp.example.com/mcp" data-redirect-uri="https://csmcp.example.com/admin/callback">',
    );
    expect([...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1])).toEqual(['/admin/assets/console.css?v=def', '/admin/assets/console.js?v=abc']);
    expect(html).not.toMatch(/<script>|<style|\sstyle=|\son\w+=/);
  });

  it("puts the assets under PUBLIC_URL's path", () => {
    const html = consolePage(settings('https://example.com/tools/csmcp'), { 'console.js': 'a', 'console.css': 'b' });
    expect(html).toContain('src="/tools/csmcp/admin/assets/console.js?v=a"');
    expect(html).toContain('href="/tools/csmcp/admin/assets/console.css?v=b"');
  });

  it('escapes every value it writes into the page', () => {
    const html = consolePage({ ...settings('https://csmcp.example.com'), scope: '"><script>alert(1)</script>' }, { 'console.js': '"x', 'console.css': 'y' });
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('data-scope="&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;"');
    expect(html).toContain('console.js?v=%22x');
  });

  it('has a CSP without inline script or style, never framed', () => {
    expect(CONSOLE_CSP).toBe("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  });
});

describe('where the console bundle is', () => {
  it('is built from the sources when running from them, read from dist when built', () => {
    expect(consolePaths('/app/src/admin-console/console-paths.ts')).toEqual({ fromSource: true, web: '/app/src/admin-console/web', bundle: '/app/dist/admin-console' });
    expect(consolePaths('/app/dist/src/admin-console/console-paths.js')).toEqual({ fromSource: false, web: '/app/src/admin-console/web', bundle: '/app/dist/admin-console' });
  });
});

describe("the console's refresh token lifetime", () => {
  it('is a working day from sign-in; a rotated one keeps what is left', () => {
    expect(adminConsoleRefreshTtl(undefined)).toBe(ADMIN_CONSOLE_SESSION_SECONDS);
    expect(adminConsoleRefreshTtl(1234)).toBe(1234);
    expect(adminConsoleRefreshTtl(0)).toBe(0);
    expect(adminConsoleRefreshTtl(ADMIN_CONSOLE_SESSION_SECONDS * 10)).toBe(ADMIN_CONSOLE_SESSION_SECONDS);
  });
});
