/**
 * Credentials must never reach logs or error messages (spec 12.1).
 * `rtsp://user:pass@host/x` → `rtsp://***@host/x`; `?password=…`-style query values → `***`.
 */

const USERINFO = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^@/?#]*@/;
const SECRET_PARAM = /([?&;](?:user(?:name)?|pass(?:word|wd)?|pwd|token|key|secret|auth|signature)=)[^&;#]*/gi;

export function redactCredentials(url: string): string {
  return url.replace(USERINFO, '$1***@').replace(SECRET_PARAM, '$1***');
}

const USERINFO_ANYWHERE = /([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^@/?#\s"'`]*@/g;

/** Redact every URL embedded in a free text (messages that quote a source line or token). */
export function redactCredentialsInText(text: string): string {
  return text.replace(USERINFO_ANYWHERE, '$1***@').replace(SECRET_PARAM, '$1***');
}

/** True when the string carries user info or a secret-looking query parameter. */
export function hasCredentials(url: string): boolean {
  return redactCredentials(url) !== url;
}
