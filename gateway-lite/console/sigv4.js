// AWS Signature Version 4 of a request, computed in the page: the secret
// never leaves the browser, only the signature does. S3's flavour: the
// path is encoded once, the payload's hash is signed and sent as
// x-amz-content-sha256.
'use strict';
(function (ostor) {
  const { sha256, hmacSha256, utf8, hex } = ostor;

  // RFC 3986 encoding, as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~
  // percent-encoded (and '/' too unless kept, for paths).
  function uriEncode(text, keepSlash) {
    let out = '';
    for (const byte of utf8(text)) {
      const c = String.fromCharCode(byte);
      if (/[A-Za-z0-9\-_.~]/.test(c) || (keepSlash && c === '/')) out += c;
      else out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
    }
    return out;
  }

  // [[name, value], ...] as the canonical query string; a parameter without
  // a value is "name=". The request is sent with this very string.
  function canonicalQuery(params) {
    return params
      .map(([name, value]) => [uriEncode(name), uriEncode(value === undefined || value === null ? '' : String(value))])
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
      .map(([name, value]) => `${name}=${value}`)
      .join('&');
  }

  // "20130524T000000Z" of a Date.
  function amzDate(when) {
    return when.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  }

  // The key SigV4 signs with on `day` ("20130524") for region and service:
  // what a session keeps instead of the secret (good for that UTC day only).
  function signingKey(secret, day, region, service) {
    let key = hmacSha256(utf8('AWS4' + secret), utf8(day));
    key = hmacSha256(key, utf8(region));
    key = hmacSha256(key, utf8(service));
    return hmacSha256(key, utf8('aws4_request'));
  }

  // Signs one request. `headers` maps lowercase names to values and holds
  // every header to sign (host, x-amz-date and, for S3, x-amz-content-sha256).
  // Signed with `secret`, or with `key`, signingKey() of the request's day.
  function sign({ method, path, query, headers, payloadHash, accessKey, secret, key, region, service }) {
    const date = headers['x-amz-date'];
    const day = date.slice(0, 8);
    const names = Object.keys(headers).map((n) => n.toLowerCase()).sort();
    const lower = {};
    for (const [n, v] of Object.entries(headers)) lower[n.toLowerCase()] = String(v).trim().replace(/\s+/g, ' ');
    const signedHeaders = names.join(';');
    const canonicalRequest = [
      method,
      uriEncode(path, true),
      canonicalQuery(query),
      names.map((n) => `${n}:${lower[n]}\n`).join(''),
      signedHeaders,
      payloadHash,
    ].join('\n');
    const scope = `${day}/${region}/${service}/aws4_request`;
    const stringToSign = ['AWS4-HMAC-SHA256', date, scope, hex(sha256(utf8(canonicalRequest)))].join('\n');
    const signature = hex(hmacSha256(key || signingKey(secret, day, region, service), utf8(stringToSign)));
    return {
      canonicalRequest,
      stringToSign,
      signature,
      authorization:
        `AWS4-HMAC-SHA256 Credential=${accessKey}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
    };
  }

  ostor.uriEncode = uriEncode;
  ostor.canonicalQuery = canonicalQuery;
  ostor.amzDate = amzDate;
  ostor.signingKey = signingKey;
  ostor.sign = sign;
})((globalThis.ostor = globalThis.ostor || {}));
