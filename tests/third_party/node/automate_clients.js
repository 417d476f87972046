// Automate: a list with a condition, every page (the client's paginate()), one client by id, then create, patch
// and delete a client. Lists come in the server's default order: connectwise-rest types orderBy as an object
// {name, type}, which axios would send as orderBy[name]=..., so it is left out. connectwise-rest types no route for
// one client by id, so those calls go through its documented untyped entry, request({path, method, data}), which
// adds the same token and clientId headers.
'use strict'
const { automate, run } = require('./connect')

run(async () => {
  const cwa = automate()
  const condition = process.env.CONDITION
  const pageSize = Number(process.env.PAGE_SIZE)
  const listed = await cwa.ClientsAPI.getClientList({ condition, pageSize: 1000 })
  const paged = await cwa.paginate(cwa.ClientsAPI.getClientList, { pageSize }, { condition })
  const one = await cwa.request({ path: `/api/v1/clients/${listed[0].Id}`, method: 'get' })
  const name = process.env.NEW_CLIENT
  const created = await cwa.ClientsAPI.postClient({ Name: name, City: 'Tampa' })
  const patched = await cwa.request({
    path: `/api/v1/clients/${created.Id}`,
    method: 'patch',
    data: [{ op: 'replace', path: 'City', value: 'Orlando' }],
  })
  await cwa.request({ path: `/api/v1/clients/${created.Id}`, method: 'delete' })
  const left = await cwa.ClientsAPI.getClientList({ condition: `Name = '${name}'` })
  return {
    listed: listed.map((c) => c.Name),
    paged: paged.map((c) => c.Name),
    one: { Id: one.Id, Name: one.Name },
    created: { Name: created.Name, City: created.City },
    patched: patched.City,
    left: left.length,
  }
})
