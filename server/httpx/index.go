package httpx

// IndexByID returns the ids of items and each item's address by id, for
// attaching children loaded with one `= ANY($1)` query.
func IndexByID[T any](items []T, id func(*T) int64) ([]int64, map[int64]*T) {
	ids := make([]int64, len(items))
	byID := make(map[int64]*T, len(items))
	for i := range items {
		ids[i] = id(&items[i])
		byID[ids[i]] = &items[i]
	}
	return ids, byID
}
