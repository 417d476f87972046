// Connections to the sandbox through connectwise-rest's public constructors, from the environment the pytest
// tests set (tests/third_party/test_connectwise_rest.py). The client builds every URL as https://<host>/...,
// so the sandbox runs with --tls and Node trusts its CA through NODE_EXTRA_CA_CERTS.
'use strict'
const { ManageAPI, AutomateAPI } = require('connectwise-rest')

function manage() {
  return new ManageAPI({
    companyId: process.env.CWM_COMPANY,
    companyUrl: process.env.CW_HOST, // host:port, without a scheme
    publicKey: process.env.CWM_PUBKEY,
    privateKey: process.env.CWM_PRIVATEKEY,
    clientId: process.env.CWM_CLIENTID,
    logger: () => {}, // its default logger prints every call on stdout, which carries our JSON
  })
}

function automate() {
  return new AutomateAPI({
    serverUrl: process.env.CW_HOST,
    username: process.env.CWA_USERNAME,
    password: process.env.CWA_PASSWORD,
    clientId: process.env.CWA_CLIENTID,
    logger: () => {},
  })
}

// Runs the scenario and prints its result as one JSON line. A rejection is printed as {"error": {status, data,
// message}} and ends the process with exit code 1: only the server's answer, never the request (axios errors carry
// the request's config, with the password of the token call in its body).
function run(scenario) {
  scenario()
    .then((result) => {
      process.stdout.write(JSON.stringify(result) + '\n')
    })
    .catch((error) => {
      const response = (error && error.response) || error || {}
      const detail = {
        status: response.status,
        data: response.data,
        message: String((error && error.message) || error),
        url: error && error.config ? `${error.config.method} ${error.config.url}` : undefined,
      }
      process.stdout.write(JSON.stringify({ error: detail }) + '\n')
      process.exitCode = 1
    })
}

module.exports = { manage, automate, run }
