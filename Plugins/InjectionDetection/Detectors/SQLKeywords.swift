/// What the SQL lexer knows about words: flags combined in one byte per keyword.
enum SQLKeywords {
    /// Starts a statement (`; DROP ...`).
    static let statement: UInt8 = 0x01
    /// Boolean connective: OR, AND, XOR, NOT, `||` spelled as words.
    static let logical: UInt8 = 0x02
    /// Comparison spelled as a word: LIKE, REGEXP, IS, IN, BETWEEN, GLOB...
    static let comparison: UInt8 = 0x04
    /// Clause and literal keywords: FROM, WHERE, UNION, INTO, NULL, TRUE...
    static let clause: UInt8 = 0x08
    /// A function worth nothing alone (CONCAT, CHAR, COUNT) but telling when called.
    static let function: UInt8 = 0x10
    /// A function whose call is the attack: delays, file and metadata access.
    static let dangerousFunction: UInt8 = 0x20
    /// A catalog, system procedure or driver that only SQL talks about.
    static let systemObject: UInt8 = 0x40
    /// Also a common English word: needs code-like context before it counts.
    static let english: UInt8 = 0x80

    static func has(_ keyword: UInt8, _ flag: UInt8) -> Bool { keyword & flag != 0 }

    static let table: KeywordTable = {
        // A word listed twice (`div` is an operator and a function) gets both flags.
        var flags: [String: UInt8] = [:]
        var order: [String] = []
        func add(_ words: String, _ f: UInt8) {
            for w in words.split(separator: " ") {
                let word = String(w)
                if flags[word] == nil { order.append(word) }
                flags[word, default: 0] |= f
            }
        }
        add("select insert delete drop alter truncate shutdown waitfor declare exec execute grant revoke merge handler pragma", statement)
        add("update create set call load rename use begin", statement | english)
        add("xor", logical)
        add("or and not div", logical | english)
        add("rlike regexp glob ilike notnull", comparison)
        add("like is in between sounds escape", comparison | english)
        add("union outfile dumpfile distinct collate straight_join immediate", clause)
        add("against", clause | english)
        add("from where having into values limit offset null true false when then else end case table as by group procedure exists asc desc "
            + "order join all any some delay cross natural inner outer top", clause | english)
        add("information_schema", systemObject)
        add("concat concat_ws group_concat char chr ascii ord substring substr mid cast convert coalesce hex unhex md5 sha1 sha2 "
            + "length len instr locate ifnull isnull nullif iif if greatest least strcmp lower upper lcase ucase trim ltrim rtrim "
            + "count sum avg min max rand floor ceil ceiling abs exp pow power sqrt round elt field make_set export_set "
            + "char_length bit_length octet_length quote unicode nchar varchar nvarchar to_char to_number to_date "
            + "json_extract json_keys jsonb_pretty jsonb_build_object row_to_json string_agg array_agg xmlagg listagg "
            + "starts_with encode decode overlay pg_typeof crc32 compress uncompress from_base64 to_base64 "
            + "randomblob zeroblob typeof printf soundex difference cos sin tan acos asin atan atan2 cot pi now curdate curtime "
            + "sysdate utc_date utc_time utc_timestamp localtimestamp datediff date_add date_sub adddate subdate dayofweek "
            + "dayofmonth dayofyear dayname monthname weekday yearweek from_unixtime unix_timestamp str_to_date date_format "
            + "ln log log10 log2 degrees radians mod div json_valid json_object json_array likelihood unlikely "
            + "instr lpad rpad char_length current_timestamp current_date current_time getdate sysdatetime newid "
            + "nvl nvl2 decode regexp_like regexp_replace regexp_substr bin oct conv unistr old_password "
            // More of MySQL's, PostgreSQL's, MSSQL's, Oracle's and SQLite's built-ins.
            + "bit_and bit_or bit_xor bit_count coercibility connection_id convert_tz des_decrypt des_encrypt aes_encrypt "
            + "aes_decrypt find_in_set found_rows from_days get_format get_lock is_free_lock is_used_lock release_lock "
            + "last_day last_insert_id makedate maketime master_pos_wait microsecond period_add period_diff row_count "
            + "sec_to_time sha substring_index subtime addtime time_format time_to_sec timediff timestampadd timestampdiff "
            + "to_days to_seconds uncompressed_length uuid uuid_short var_pop var_samp stddev stddev_pop stddev_samp std "
            + "weekofyear inet_aton inet_ntoa inet6_aton inet6_ntoa random_bytes json_contains json_search json_unquote "
            + "json_length json_type json_set json_insert json_replace json_remove json_merge json_quote json_depth "
            + "strftime julianday unixepoch group_concat char_index charindex patindex replicate datalength "
            + "datepart datename dateadd object_id object_name col_name db_id file_name schema_name type_name "
            + "is_srvrolemember is_member has_dbaccess serverproperty fn_virtualfilestats suser_sname suser_id user_id "
            + "host_id app_name quotename textptr trunc initcap rawtohex hextoraw "
            + "sys_context sys_guid userenv ora_hash vsize lnnvl nanvl regexp_count regexp_instr "
            + "md5 sha224 sha256 sha384 sha512 gen_random_uuid pg_backend_pid pg_postmaster_start_time pg_sleep_for "
            + "pg_sleep_until array_to_string string_to_array array_length unnest generate_series chr lpad btrim "
            + "split_part strpos to_hex quote_ident quote_literal quote_nullable query_to_xml table_to_xml xmlelement "
            + "extractvalue sqlite_source_id last_insert_rowid total_changes", function)
        add("extract interval collation charset variance", function | english)
        add("time date year month day hour minute second quarter week default local likely", function | english)
        add("replace left right user space repeat reverse insert format position current schema sign row password", function | english)
        add("sleep benchmark pg_sleep load_file extractvalue updatexml xmltype name_const dbms_pipe dbms_lock "
            + "utl_http utl_inaddr httpuritype lo_import lo_export lo_get lo_put pg_read_file pg_ls_dir pg_read_binary_file "
            + "sqlite_version sqlite_compileoption_used sqlite_compileoption_get load_extension "
            + "database db_name version current_user system_user session_user user_name suser_name "
            + "host_name current_database current_schema getpgusername pg_client_encoding "
            + "openrowset opendatasource openquery openxml", dangerousFunction)
        add("pg_catalog pg_shadow pg_user pg_database pg_tables pg_namespace sysobjects syscolumns sysdatabases "
            + "sysusers systables sqlite_master sqlite_temp_master sqlite_schema all_tables all_tab_columns user_tables "
            + "user_tab_columns dba_users msysobjects msysaccessobjects mysql xp_cmdshell xp_dirtree xp_regread xp_fileexist "
            + "xp_availablemedia xp_reg xp_servicecontrol sp_password sp_executesql sp_makewebtask sp_oacreate sp_configure "
            + "sp_addextendedproc msdasql sqloledb table_schema table_name column_name schema_name varchar nvarchar "
            + "utl_http utl_inaddr dbms_pipe dbms_lock dbms_ldap dbms_xmlgen pg_sleep load_file "
            // Database names every server ships (`master` and `mysql` count only qualified: `master..`).
            + "master msdb tempdb northwind adventureworks sysaux pg_toast "
            // MS Access system tables, more MSSQL extended and system procedures and views.
            + "msysaccessstorage msysaccessxml msysaces msysrelationships msysqueries msysmodules msysmodules2 "
            + "xp_regwrite xp_regdeletekey xp_regdeletevalue xp_regenumvalues xp_loginconfig xp_enumgroups xp_makecab xp_ntsec_enumdomains "
            + "xp_terminate_process xp_subdirs xp_fixeddrives xp_filelist xp_dirtree xp_msver xp_logininfo xp_sprintf xp_sscanf "
            + "sp_addlogin sp_addsrvrolemember sp_oamethod sp_replwritetovarbin sp_sqlexec sp_execute_external_script sp_helpuser "
            + "sp_linkedservers sp_addlinkedserver sp_dropextendedproc sysprocesses syslogins sql_logins server_principals "
            // Ad hoc remote data sources of MSSQL, named only to run a query elsewhere.
            + "openrowset opendatasource openquery", systemObject)
        add("current_setting set_config inet_server_addr pg_backend_pid", dangerousFunction)
        return KeywordTable(order.map { ($0, flags[$0]!) })
    }()
}
