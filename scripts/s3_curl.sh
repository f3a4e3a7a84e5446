# The `s3_curl` helper of the vendor guide (chapter "Integration via REST
# API", section "Preparing the environment"), copied verbatim: it signs a
# request to the admin REST API (?ostor-users, ?ostor-limits, ...) with a
# system user's key pair and runs curl. Use it from bash:
#   source scripts/s3_curl.sh
#   s3_key=<S3AccessKeyId> s3_secret=<S3SecretAccessKey>
#   s3_curl GET "http://127.0.0.1:9000/?ostor-users"
# It prints curl's progress meter on stderr. The admin test suite signs its
# REST requests with this same file.

# Sign S3 requests and run curl.
function s3_curl() {

    # Parse command line.
    [ -z "${2}" ] && {
        echo "Usage: ${FUNCNAME[0]} <request_type> <s3_url>"
        return 1
    }

    # Prepare a signature.
    s3_url="${2%/*}"
    s3_host="${s3_url##*/}"
    s3_query="${2##*/}"
    s3_date="$(date -R)"

    # Generate a signature.
    s3_signature="$(echo -en "${1}\n\n${s3_date}\n/${s3_query%%&*}" | \
        openssl dgst -sha1 -hmac ${s3_secret} -binary | base64)"

    # Make the request.
    curl -H "Host: ${s3_host}" \
        -H "Accept: */*" \
        -H "Date: ${s3_date}" \
        -H "Authorization: AWS ${s3_key}:${s3_signature}" \
        -X "${1}" \
        "${s3_url}/${s3_query}"
}

