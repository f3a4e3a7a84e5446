# The `s3_curl` helper of the vendor guide (../shared/seeds/000_*.txt, chapter
# "Integration via REST API", section "Preparing the environment"), copied
# verbatim: the admin suite signs its REST requests with it exactly as a
# provider would. The caller sets s3_key and s3_secret (a system user's key
# pair) and sources this file. It prints curl's progress meter on stderr.

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

