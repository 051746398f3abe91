// The reference provider of the load bench (docs/performance.md, "Reference provider"):
// node-oidc-provider 9 configured for the work propusk does in S1, S2, S3a and S5.
//
// * one ES256 signing key (P-256), generated at start, in the JWKS;
// * one confidential client, `client_secret_basic`, grant `client_credentials`;
// * client_credentials issues JWT access tokens signed with ES256: the resource
//   indicators feature (RFC 8707) with a default resource whose
//   `accessTokenFormat` is `jwt`;
// * introspection (RFC 7662) at `/introspect`, the path propusk uses. This
//   provider refuses to introspect its own JWT access tokens
//   (`rejectStructuredTokens`), so S5 introspects an opaque access token of the
//   same client, issued for a second resource (`REF_OPAQUE_RESOURCE`);
// * discovery and JWKS at their default paths (`/.well-known/openid-configuration`, `/jwks`);
// * the built-in in-memory adapter; no request logging; run with NODE_ENV=production.
//
// Environment: REF_PORT, REF_ISSUER, REF_CLIENT_ID, REF_CLIENT_SECRET (the bench
// passes propusk's `bench-es` credentials, so both get byte-identical requests).

import { generateKeyPair, exportJWK } from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.env.REF_PORT || 3000);
const issuer = process.env.REF_ISSUER || `http://127.0.0.1:${port}`;
const clientId = process.env.REF_CLIENT_ID || 'bench-es';
const clientSecret = process.env.REF_CLIENT_SECRET;
if (!clientSecret) {
  console.error('reference: REF_CLIENT_SECRET is required');
  process.exit(2);
}

const JWT_RESOURCE = 'urn:propusk-bench:api';
const OPAQUE_RESOURCE = 'urn:propusk-bench:opaque';

const { privateKey } = await generateKeyPair('ES256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: 'bench-es256' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256',
  }],
  jwks: { keys: [jwk] },
  cookies: { keys: ['propusk-bench-reference-cookie-key'] },
  routes: { introspection: '/introspect' },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true, allowedPolicy: async () => true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => JWT_RESOURCE,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx, resource) => {
        if (resource === JWT_RESOURCE) {
          return { scope: '', audience: JWT_RESOURCE, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } };
        }
        if (resource === OPAQUE_RESOURCE) {
          return { scope: '', audience: OPAQUE_RESOURCE, accessTokenFormat: 'opaque' };
        }
        throw new Provider.errors.InvalidTarget();
      },
    },
  },
  enabledJWA: { authorizationSigningAlgValues: ['ES256'], idTokenSigningAlgValues: ['ES256'] },
  ttl: { ClientCredentials: 600 },
});
provider.proxy = false;

const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`reference: node-oidc-provider listening at ${issuer}`);
});

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => server.close(() => process.exit(0)));
}
