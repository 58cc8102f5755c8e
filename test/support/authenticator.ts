import { isoCBOR } from '@simplewebauthn/server/helpers';
import { fromBase64Url, toBase64Url } from '../../src/lib/ids';

/** The dev relying party of wrangler.toml. */
export const TEST_RP_ID = 'localhost';
export const TEST_ORIGIN = 'http://localhost:8787';

/** Authenticator data flags (WebAuthn §6.1). */
export const FLAG = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40, ED: 0x80 } as const;

const encoder = new TextEncoder();

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data));
}

function uint32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

function uint16(n: number): Uint8Array {
  const out = new Uint8Array(2);
  new DataView(out.buffer).setUint16(0, n);
  return out;
}

/** One unsigned big-endian integer as an ASN.1 DER INTEGER (minimal, non-negative). */
function derInteger(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  let body: Uint8Array = bytes.slice(start);
  if (body[0]! & 0x80) body = concat(new Uint8Array([0]), body);
  return concat(new Uint8Array([0x02, body.length]), body);
}

/** WebCrypto ECDSA signatures are raw `r || s`; WebAuthn wants `SEQUENCE { INTEGER r, INTEGER s }`. */
export function rawToDer(raw: Uint8Array): Uint8Array {
  const half = raw.length / 2;
  const seq = concat(derInteger(raw.slice(0, half)), derInteger(raw.slice(half)));
  return concat(new Uint8Array([0x30, seq.length]), seq);
}

export interface ClientDataOverrides {
  /** Defaults to TEST_ORIGIN. */
  origin?: string;
  /** Defaults to `webauthn.create` / `webauthn.get`. */
  type?: string;
}

export interface RegisterInput extends ClientDataOverrides {
  /** `options.challenge` from the server (base64url). */
  challenge: string;
  rpId?: string;
  /** Defaults to UP|UV|AT. */
  flags?: number;
  transports?: string[];
}

export interface AssertInput extends ClientDataOverrides {
  challenge: string;
  rpId?: string;
  /** Defaults to UP|UV. */
  flags?: number;
  /** Sign count to report; defaults to the next one (a clone would repeat an old value). */
  counter?: number;
  /** base64url user handle a discoverable credential returns; omitted when undefined. */
  userHandle?: string;
}

/**
 * A software WebAuthn authenticator: one ES256 (P-256) credential with a real WebCrypto key pair,
 * producing `none`-attestation registration responses and signed assertions in the JSON shape
 * browsers send (`PublicKeyCredential.toJSON()`), so the server verifies them end to end.
 */
export class SoftAuthenticator {
  /** Sign count as the device keeps it; starts at 0 and each default assertion adds 1. */
  counter = 0;

  private constructor(
    readonly credentialId: Uint8Array,
    private readonly keys: CryptoKeyPair,
  ) {}

  /** A new credential; pass `credentialId` to make an impostor that reuses another credential's id. */
  static async create(options: { credentialId?: Uint8Array } = {}): Promise<SoftAuthenticator> {
    const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    return new SoftAuthenticator(options.credentialId ?? crypto.getRandomValues(new Uint8Array(32)), keys);
  }

  /** The credential id, base64url, as the server stores it. */
  get id(): string {
    return toBase64Url(this.credentialId);
  }

  /** COSE_Key of the public key: `{1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}`. */
  async cosePublicKey(): Promise<Uint8Array> {
    const raw = new Uint8Array((await crypto.subtle.exportKey('raw', this.keys.publicKey)) as ArrayBuffer);
    // Uncompressed point: 0x04 || x (32) || y (32).
    return isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, raw.slice(1, 33)],
        [-3, raw.slice(33, 65)],
      ]),
    );
  }

  private clientData(defaultType: string, challenge: string, overrides: ClientDataOverrides): Uint8Array {
    return encoder.encode(
      JSON.stringify({
        type: overrides.type ?? defaultType,
        challenge,
        origin: overrides.origin ?? TEST_ORIGIN,
        crossOrigin: false,
      }),
    );
  }

  /** The response of `navigator.credentials.create()`: attestation `none` with attested credential data. */
  async register(input: RegisterInput) {
    const clientDataJSON = this.clientData('webauthn.create', input.challenge, input);
    const authData = concat(
      await sha256(encoder.encode(input.rpId ?? TEST_RP_ID)),
      new Uint8Array([input.flags ?? FLAG.UP | FLAG.UV | FLAG.AT]),
      uint32(this.counter),
      new Uint8Array(16), // AAGUID: all zero for a software authenticator
      uint16(this.credentialId.length),
      this.credentialId,
      await this.cosePublicKey(),
    );
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Uint8Array | Map<string, string>>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, string>()],
        ['authData', authData],
      ]),
    );
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key' as const,
      authenticatorAttachment: 'platform' as const,
      clientExtensionResults: {},
      response: {
        clientDataJSON: toBase64Url(clientDataJSON),
        attestationObject: toBase64Url(attestationObject),
        transports: input.transports ?? ['internal', 'hybrid'],
      },
    };
  }

  /** The response of `navigator.credentials.get()`: authenticator data plus a DER ECDSA signature. */
  async assert(input: AssertInput) {
    const counter = input.counter ?? this.counter + 1;
    this.counter = Math.max(this.counter, counter);
    const clientDataJSON = this.clientData('webauthn.get', input.challenge, input);
    const authenticatorData = concat(
      await sha256(encoder.encode(input.rpId ?? TEST_RP_ID)),
      new Uint8Array([input.flags ?? FLAG.UP | FLAG.UV]),
      uint32(counter),
    );
    const signed = concat(authenticatorData, await sha256(clientDataJSON));
    const raw = new Uint8Array(
      await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, this.keys.privateKey, signed),
    );
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key' as const,
      authenticatorAttachment: 'platform' as const,
      clientExtensionResults: {},
      response: {
        clientDataJSON: toBase64Url(clientDataJSON),
        authenticatorData: toBase64Url(authenticatorData),
        signature: toBase64Url(rawToDer(raw)),
        ...(input.userHandle === undefined ? {} : { userHandle: input.userHandle }),
      },
    };
  }
}

/** The user handle a discoverable credential created for `userId` returns (our id's UTF-8 bytes). */
export function userHandleOf(userId: string): string {
  return toBase64Url(encoder.encode(userId));
}

/** Decodes a base64url clientDataJSON (for assertions about what was signed). */
export function decodeClientData(b64url: string): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(fromBase64Url(b64url)));
}
