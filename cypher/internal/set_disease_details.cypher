// Fill disease text properties that are still missing; a value another source set first is kept,
// and a row that has nothing new writes nothing (a reload sets no property).
// Parameters: $rows: list of {id, props: map of the DISEASE_TEXT_FIELDS and DISEASE_LIST_FIELDS}.
// Returns: nothing.
UNWIND $rows AS row
MATCH (c:Concept {id: row.id})
WITH c, row
WHERE any(key IN keys(row.props) WHERE c[key] IS NULL)
SET c.desc = coalesce(c.desc, row.props.desc),
    c.cause = coalesce(c.cause, row.props.cause),
    c.prevent = coalesce(c.prevent, row.props.prevent),
    c.nursing = coalesce(c.nursing, row.props.nursing),
    c.yibao_status = coalesce(c.yibao_status, row.props.yibao_status),
    c.get_prob = coalesce(c.get_prob, row.props.get_prob),
    c.easy_get = coalesce(c.easy_get, row.props.easy_get),
    c.get_way = coalesce(c.get_way, row.props.get_way),
    c.cure_lasttime = coalesce(c.cure_lasttime, row.props.cure_lasttime),
    c.cured_prob = coalesce(c.cured_prob, row.props.cured_prob),
    c.cost_money = coalesce(c.cost_money, row.props.cost_money),
    c.good_diet = coalesce(c.good_diet, row.props.good_diet),
    c.avoid_diet = coalesce(c.avoid_diet, row.props.avoid_diet),
    c.category = coalesce(c.category, row.props.category),
    c.cure_way = coalesce(c.cure_way, row.props.cure_way)
