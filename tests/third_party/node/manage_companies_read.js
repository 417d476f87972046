// Manage, read side: a list with conditions, every page of a list longer than one page (the client's paginate()),
// the count, and one record by id.
'use strict'
const { manage, run } = require('./connect')

run(async () => {
  const cwm = manage()
  const conditions = process.env.CONDITIONS
  const pageSize = Number(process.env.PAGE_SIZE)
  const listed = await cwm.CompanyAPI.getCompanyCompanies({ conditions, orderBy: 'id asc', pageSize: 1000 })
  const paged = await cwm.paginate(cwm.CompanyAPI.getCompanyCompanies, { pageSize }, { conditions, orderBy: 'id asc' })
  const count = await cwm.CompanyAPI.getCompanyCompaniesCount({ conditions })
  const one = await cwm.CompanyAPI.getCompanyCompaniesById(listed[0].id)
  return {
    listed: listed.map((c) => c.identifier),
    paged: paged.map((c) => c.identifier),
    count: count.count,
    one: { id: one.id, identifier: one.identifier, name: one.name, site: one.site && one.site.name },
  }
})
