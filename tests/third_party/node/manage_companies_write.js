// Manage, write side: create a company with its site (a real server requires `site` and creates the one named),
// patch it, read it back, delete it and look for it again among the companies not deleted.
'use strict'
const { manage, run } = require('./connect')

run(async () => {
  const cwm = manage()
  const identifier = process.env.IDENTIFIER
  const created = await cwm.CompanyAPI.postCompanyCompanies({
    identifier,
    name: `${identifier} Ltd`,
    site: { name: 'Main' },
    status: { id: 1 },
    types: [{ id: 1 }],
  })
  const patched = await cwm.CompanyAPI.patchCompanyCompaniesById(created.id, [
    { op: 'replace', path: 'phoneNumber', value: '8135550100' },
  ])
  const reread = await cwm.CompanyAPI.getCompanyCompaniesById(created.id)
  const sites = await cwm.CompanyAPI.getCompanyCompaniesByParentIdSites(created.id, {})
  await cwm.CompanyAPI.deleteCompanyCompaniesById(created.id)
  const left = await cwm.CompanyAPI.getCompanyCompaniesCount({
    conditions: `identifier = "${identifier}" and deletedFlag = false`,
  })
  return {
    created: { id: created.id, identifier: created.identifier, site: created.site && created.site.name },
    sites: sites.map((s) => s.name),
    patched: patched.phoneNumber,
    reread: reread.phoneNumber,
    left: left.count,
  }
})
