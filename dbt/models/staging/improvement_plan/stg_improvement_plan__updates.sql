-- Current state of each action update (action_id, update_date): the row of the latest extract, trimmed,
-- with the target in force and whether it was revised (docs/improvement_updates.md).
--
-- Until the ingest has loaded a first improvement_updates extract the raw table may not exist yet; the
-- model then returns no rows (same columns), so a warehouse without the tracker still builds.

with

source as (

    {{ optional_source('improvement_plan', 'improvement_updates', {
        'action_id':            'varchar',
        'update_date':          'date',
        'status':               'varchar',
        'original_target_date': 'date',
        'revised_target_date':  'date',
        'revision_reason':      'varchar',
        'progress_note':        'varchar',
        'next_steps':           'varchar',
        'reported_by':          'varchar',
    }) }}

),

cleaned as (

    select
        ----------  ids
        {{ clean_text('action_id') }} as action_id,
        update_date,

        ----------  status and targets
        {{ clean_text('status') }} as status,
        original_target_date,
        revised_target_date,
        {{ clean_text('revision_reason') }} as revision_reason,

        ----------  text
        {{ clean_text('progress_note') }} as progress_note,
        {{ clean_text('next_steps') }} as next_steps,
        {{ clean_text('reported_by') }} as reported_by,

        ----------  lineage
        {{ extract_lineage_columns() }}

    from source

),

current_state as (

    {{ current_rows('cleaned', ['action_id', 'update_date']) }}

),

final as (

    select
        action_id,
        update_date,
        status,
        status in ('COMPLETE', 'TRANSFERRED') as is_closed,
        original_target_date,
        revised_target_date,
        -- the target in force: the revised date when given, else the original
        coalesce(revised_target_date, original_target_date) as current_target_date,
        coalesce(revised_target_date <> original_target_date, false) as is_target_revised,
        revision_reason,
        progress_note,
        next_steps,
        reported_by,

        ----------  lineage
        {{ extract_lineage_columns() }}

    from current_state

)

select * from final
