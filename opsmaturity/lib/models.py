"""Model behaviour several apps share."""


class AppendOnly:
    """For a model whose rows are history: written once, never saved again nor deleted.

    Phase transitions, criterion checks and level changes are records of what
    happened; a correction is a new row. (A queryset ``update`` is still possible,
    for the one change a record may take, such as the moment a tick was taken back.)
    """

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError(f"{type(self).__name__} rows are history: write a new one instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(f"{type(self).__name__} rows are history and are never deleted.")
