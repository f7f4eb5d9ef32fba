/** RFC 7591 §3.2.2 error codes for client metadata csmcp will not accept. */
export type ClientMetadataErrorCode = 'invalid_redirect_uri' | 'invalid_client_metadata';

/**
 * A registration request or Client ID Metadata Document was refused. The description names the field
 * and what is allowed, and holds only characters RFC 6749 allows in error_description (printable
 * ASCII without " and \), so it can go back to the client as is.
 */
export class ClientMetadataError extends Error {
  constructor(
    readonly code: ClientMetadataErrorCode,
    /** The metadata field at fault, e.g. redirect_uris[1]; "metadata" for the document as a whole. */
    readonly field: string,
    description: string,
  ) {
    super(safeDescription(description));
    this.name = 'ClientMetadataError';
  }

  /** The RFC 7591 error response body. */
  toJSON(): { error: ClientMetadataErrorCode; error_description: string } {
    return { error: this.code, error_description: this.message };
  }
}

/** A value quoted in a description: unsafe characters replaced, long values cut. */
export function quoteValue(value: string, max = 80): string {
  const cut = value.length > max ? `${value.slice(0, max)}...` : value;
  return `'${safeDescription(cut)}'`;
}

/** Text with every character RFC 6749 does not allow in error_description (outside printable ASCII, " and \\) replaced by ?. */
export function safeDescription(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '?');
}
