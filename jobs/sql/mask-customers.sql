-- Masks personal data on a developer copy. Runs on the fork only, never on the source.
do $$
begin
  if to_regclass('public.customers') is not null then
    update customers set email = 'customer-' || id || '@example.invalid', name = 'Customer ' || id;
  end if;
end
$$;
